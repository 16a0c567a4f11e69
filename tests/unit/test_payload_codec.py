"""The payload codec: round trip, the namespace and key ID bound to each payload, rotation
(payloads written under the old key open after it), and payloads from before encryption."""

from __future__ import annotations

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.converter import DefaultFailureConverterWithEncodedAttributes

from domain.orders import CancelRequest
from runtime.codec import COMPRESSION, ENCODING, KEY_ID, EncryptionCodec, PayloadNotDecodable
from runtime.settings import Settings
from runtime.temporal import data_converter
from store.keyring import Keyring, new_key_line

OLD, NEW = new_key_line("k2025"), new_key_line("k2026")


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=f'"{text}"'.encode())


async def test_a_payload_round_trips_and_is_not_readable_on_the_way() -> None:
    codec = EncryptionCodec(Keyring(NEW), "default")
    [sealed] = await codec.encode([plain("Jane Doe, Brīvības iela 1")])
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID] == b"k2026"
    assert b"Jane" not in sealed.data and b"json/plain" not in sealed.data
    assert await codec.decode([sealed]) == [plain("Jane Doe, Brīvības iela 1")]


async def test_the_same_payload_encrypts_differently_each_time() -> None:
    codec = EncryptionCodec(Keyring(NEW), "default")
    first, second = await codec.encode([plain("x"), plain("x")])
    assert first.data != second.data


async def test_a_payload_does_not_open_in_another_namespace() -> None:
    [sealed] = await EncryptionCodec(Keyring(NEW), "shop-a").encode([plain("x")])
    with pytest.raises(PayloadNotDecodable, match="namespace 'shop-b'"):
        await EncryptionCodec(Keyring(NEW), "shop-b").decode([sealed])


async def test_a_payload_relabelled_with_another_kept_key_does_not_open() -> None:
    keys = Keyring(f"{NEW} {OLD}")
    [sealed] = await EncryptionCodec(keys, "default").encode([plain("x")])
    sealed.metadata[KEY_ID] = b"k2025"
    with pytest.raises(PayloadNotDecodable):
        await EncryptionCodec(keys, "default").decode([sealed])


async def test_rotation_keeps_old_payloads_readable_and_writes_under_the_new_key() -> None:
    [before] = await EncryptionCodec(Keyring(OLD), "default").encode([plain("before")])
    rotated = EncryptionCodec(Keyring(f"{NEW}\n# kept until no history needs it\n{OLD}"), "default")
    [after] = await rotated.encode([plain("after")])
    assert after.metadata[KEY_ID] == b"k2026"
    assert await rotated.decode([before, after]) == [plain("before"), plain("after")]
    with pytest.raises(PayloadNotDecodable, match="'k2025', which is not among the kept keys"):
        await EncryptionCodec(Keyring(NEW), "default").decode([before])


async def test_payloads_from_before_encryption_pass_through() -> None:
    codec = EncryptionCodec(Keyring(NEW), "default")
    assert await codec.decode([plain("old")]) == [plain("old")]


async def test_the_converter_encrypts_models_and_failure_messages() -> None:
    converter = data_converter(Settings(_env_file=None, payload_codec_keys=NEW))  # type: ignore[call-arg]
    [payload] = await converter.encode([CancelRequest(reason="write to jane@example.com")])
    assert payload.metadata["encoding"] == ENCODING and b"jane" not in payload.data
    assert converter.failure_converter_class is DefaultFailureConverterWithEncodedAttributes
    failure = Failure()
    await converter.encode_failure(ValueError("declined for jane@example.com"), failure)
    assert "jane" not in str(failure.message) and "jane" not in failure.stack_trace
    assert failure.encoded_attributes.metadata["encoding"] == ENCODING
    decoded = await converter.decode_failure(failure)
    assert "jane@example.com" in str(decoded)


@pytest.mark.parametrize(
    "keys", ["", "k1:bm90LTMyLWJ5dGVz", "k 1:" + "A" * 44, f"{NEW} {NEW}", "k1:***"]
)
def test_bad_keys_are_refused_by_name(keys: str) -> None:
    with pytest.raises(ValueError, match="payload key"):
        Keyring(keys, "payload key")


def test_keys_come_from_a_file_when_one_is_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "payload.keys"
    path.write_text(f"# newest first\n{NEW}\n{OLD}\n")
    settings = Settings(_env_file=None, payload_codec_keys_file=path)  # type: ignore[call-arg]
    assert settings.payload_keyring().ids == ("k2026", "k2025")
    missing = Settings(_env_file=None, payload_codec_keys_file=tmp_path / "nope")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="payload key file"):
        missing.payload_keyring()


def order_input() -> Payload:
    """A payload the size of an order's input with its pinned policy."""
    from domain.policy import PRESETS_DIR, load_policy

    policy = load_policy(PRESETS_DIR / "kwoking.toml")
    return Payload(metadata={"encoding": b"json/plain"}, data=policy.model_dump_json().encode())


async def test_a_large_payload_is_compressed_before_it_is_sealed() -> None:
    codec = EncryptionCodec(Keyring(NEW), "default")
    payload = order_input()
    [sealed] = await codec.encode([payload])
    assert sealed.metadata[COMPRESSION] == b"zlib"
    assert len(sealed.data) < payload.ByteSize() / 2
    assert await codec.decode([sealed]) == [payload]


async def test_a_small_payload_is_sealed_as_it_is() -> None:
    [sealed] = await EncryptionCodec(Keyring(NEW), "default").encode([plain("x")])
    assert COMPRESSION not in sealed.metadata


async def test_the_compression_mark_cannot_be_changed() -> None:
    """The mark is bound into the associated data: taken off a compressed payload, or put on
    one that is not, the payload does not open."""
    codec = EncryptionCodec(Keyring(NEW), "default")
    [compressed] = await codec.encode([order_input()])
    del compressed.metadata[COMPRESSION]
    [uncompressed] = await EncryptionCodec(Keyring(NEW), "default", compress=False).encode(
        [order_input()]
    )
    uncompressed.metadata[COMPRESSION] = b"zlib"
    for changed in (compressed, uncompressed):
        with pytest.raises(PayloadNotDecodable):
            await codec.decode([changed])
    [unknown] = await codec.encode([order_input()])
    unknown.metadata[COMPRESSION] = b"lz4"
    with pytest.raises(PayloadNotDecodable, match="unknown here"):
        await codec.decode([unknown])


async def test_compressed_and_uncompressed_payloads_open_whatever_the_setting() -> None:
    on = EncryptionCodec(Keyring(NEW), "default")
    off = EncryptionCodec(Keyring(NEW), "default", compress=False)
    [by_on] = await on.encode([order_input()])
    [by_off] = await off.encode([order_input()])
    assert COMPRESSION not in by_off.metadata
    assert await off.decode([by_on]) == await on.decode([by_off]) == [order_input()]


def test_the_setting_turns_compression_off_for_every_process() -> None:
    """ORDERFLOW_PAYLOAD_COMPRESSION=false: the converter the worker, the API and the CLI
    build from the settings seals payloads as they are."""
    for value in (True, False):
        settings = Settings(_env_file=None, payload_compression=value)  # type: ignore[call-arg]
        codec = data_converter(settings).payload_codec
        assert isinstance(codec, EncryptionCodec) and codec.compress is value
