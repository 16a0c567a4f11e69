"""Payload encryption: every payload orderflow writes to Temporal (workflow inputs, results,
update arguments, failure messages) is AES-256-GCM ciphertext under a key the Temporal
service never sees. The namespace and the key ID are bound as associated data, so a payload
copied to another namespace, or relabelled with another key ID, does not open. Payloads
written before encryption was on pass through unchanged."""

from __future__ import annotations

import dataclasses
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


class PayloadNotDecodable(ValueError):
    """A payload this codec cannot open: its key is not kept, or it was changed."""


class EncryptionCodec(PayloadCodec):
    """`refuse_plaintext`: a payload that is not encrypted is refused instead of passed
    through, so that nobody who reaches the engine can hand the worker a signal or update of
    their own making (on in production; off only to replay workflows begun before payloads
    were encrypted)."""

    def __init__(self, keyring: Keyring, namespace: str, refuse_plaintext: bool = False) -> None:
        self.keyring = keyring
        self.namespace = namespace
        self.refuse_plaintext = refuse_plaintext

    def _context(self, key_id: str) -> bytes:
        return f"orderflow/payload\x00{self.namespace}\x00{key_id}".encode()

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.seal(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.open(payload) for payload in payloads]

    def seal(self, payload: Payload) -> Payload:
        key_id = self.keyring.current
        _, sealed = self.keyring.seal(payload.SerializeToString(), self._context(key_id))
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID: key_id.encode(), "encryption-cipher": CIPHER},
            data=sealed,
        )

    def open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            if self.refuse_plaintext:
                raise PayloadNotDecodable("a payload that is not encrypted is refused here")
            return payload
        key_id = payload.metadata.get(KEY_ID, b"").decode("ascii", "replace")
        try:
            plain = self.keyring.open(key_id, payload.data, self._context(key_id))
        except KeyError as err:
            raise PayloadNotDecodable(
                f"payload sealed with key {key_id!r}, which is not among the kept keys"
            ) from err
        except (InvalidTag, ValueError) as err:  # changed, cut short, or another namespace's
            raise PayloadNotDecodable(
                f"payload under key {key_id!r} does not open in namespace {self.namespace!r}"
            ) from err
        try:
            return Payload.FromString(plain)
        except DecodeError as err:
            raise PayloadNotDecodable(f"payload under key {key_id!r} holds no payload") from err


def encrypted_converter(
    keyring: Keyring, namespace: str, refuse_plaintext: bool = False
) -> DataConverter:
    """orderflow's data converter (pydantic models as JSON) with every payload encrypted and
    failure messages and stack traces moved into an encrypted payload too."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(keyring, namespace, refuse_plaintext),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
