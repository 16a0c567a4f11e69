"""Payload encryption: every payload orderflow writes to Temporal (workflow inputs, results,
update arguments, failure messages) is AES-256-GCM ciphertext under a key the Temporal
service never sees. The namespace and the key ID are bound as associated data, so a payload
copied to another namespace, or relabelled with another key ID, does not open. Payloads
written before encryption was on pass through unchanged.

A payload of `COMPRESS_FROM` bytes or more is compressed (zlib) before it is sealed, where that
makes it smaller: an order's input with its pinned policy shrinks to about half, and the
history Temporal stores and sends to every replay by about a fifth. Whether a payload is
compressed is marked in its metadata and bound into the associated data as well, so the mark
cannot be changed without the payload failing to open. Payloads sealed uncompressed (before this,
or with compression off) open as before."""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

from store.keyring import Keyring

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
CIPHER = b"AES256-GCM"
COMPRESSION = "encryption-compression"
ZLIB = b"zlib"
COMPRESS_FROM = 256  # bytes of the serialized payload; smaller ones gain nothing


class PayloadNotDecodable(ValueError):
    """A payload this codec cannot open: its key is not kept, or it was changed."""


class EncryptionCodec(PayloadCodec):
    """`refuse_plaintext`: a payload that is not encrypted is refused instead of passed
    through, so that nobody who reaches the engine can hand the worker a signal or update of
    their own making (on in production; off only to replay workflows begun before payloads
    were encrypted). `compress`: payloads are compressed before they are sealed (the module's
    docstring); off, every payload is sealed as it is, and compressed ones still open."""

    def __init__(
        self,
        keyring: Keyring,
        namespace: str,
        refuse_plaintext: bool = False,
        compress: bool = True,
    ) -> None:
        self.keyring = keyring
        self.namespace = namespace
        self.refuse_plaintext = refuse_plaintext
        self.compress = compress

    def _context(self, key_id: str, compressed: bool = False) -> bytes:
        bound = f"orderflow/payload\x00{self.namespace}\x00{key_id}".encode()
        return bound + b"\x00" + ZLIB if compressed else bound

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.seal(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.open(payload) for payload in payloads]

    def seal(self, payload: Payload) -> Payload:
        key_id = self.keyring.current
        plain = payload.SerializeToString()
        metadata = {"encoding": ENCODING, KEY_ID: key_id.encode(), "encryption-cipher": CIPHER}
        compressed = False
        if self.compress and len(plain) >= COMPRESS_FROM:
            packed = zlib.compress(plain, 6)
            if len(packed) < len(plain):
                plain, compressed = packed, True
                metadata[COMPRESSION] = ZLIB
        _, sealed = self.keyring.seal(plain, self._context(key_id, compressed))
        return Payload(metadata=metadata, data=sealed)

    def open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            if self.refuse_plaintext:
                raise PayloadNotDecodable("a payload that is not encrypted is refused here")
            return payload
        key_id = payload.metadata.get(KEY_ID, b"").decode("ascii", "replace")
        compression = payload.metadata.get(COMPRESSION)
        if compression not in (None, ZLIB):
            raise PayloadNotDecodable(f"payload compressed with {compression!r}, unknown here")
        compressed = compression == ZLIB
        try:
            plain = self.keyring.open(key_id, payload.data, self._context(key_id, compressed))
        except KeyError as err:
            raise PayloadNotDecodable(
                f"payload sealed with key {key_id!r}, which is not among the kept keys"
            ) from err
        except (InvalidTag, ValueError) as err:  # changed, cut short, or another namespace's
            raise PayloadNotDecodable(
                f"payload under key {key_id!r} does not open in namespace {self.namespace!r}"
            ) from err
        try:
            return Payload.FromString(zlib.decompress(plain) if compressed else plain)
        except (DecodeError, zlib.error) as err:
            raise PayloadNotDecodable(f"payload under key {key_id!r} holds no payload") from err


def encrypted_converter(
    keyring: Keyring, namespace: str, refuse_plaintext: bool = False, compress: bool = True
) -> DataConverter:
    """orderflow's data converter (pydantic models as JSON) with every payload encrypted and
    failure messages and stack traces moved into an encrypted payload too."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(keyring, namespace, refuse_plaintext, compress),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
