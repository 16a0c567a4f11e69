"""Secrets at rest: AES-256-GCM with a key ID beside each sealed value, so keys can rotate
(the first key seals, every configured key opens)."""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class Sealer:
    def __init__(self, keys: str) -> None:
        """`keys`: space-separated `<key id>:<base64 of 32 bytes>`, the sealing key first."""
        self._keys: dict[str, AESGCM] = {}
        self._current = ""
        for item in keys.split():
            key_id, _, encoded = item.partition(":")
            try:
                raw = base64.b64decode(encoded, validate=True)
            except binascii.Error as err:
                raise ValueError(f"sealing key {key_id!r} is not base64") from err
            if not key_id or len(raw) != 32:
                raise ValueError(f"sealing key {key_id!r} must be `<id>:<base64 of 32 bytes>`")
            self._keys[key_id] = AESGCM(raw)
            self._current = self._current or key_id
        if not self._current:
            raise ValueError("no sealing key configured")

    def seal(self, plain: str, context: str) -> tuple[str, bytes]:
        """(key ID, nonce + ciphertext); `context` is bound to it, so a sealed value moved to
        another row does not open."""
        nonce = os.urandom(12)
        sealed = self._keys[self._current].encrypt(nonce, plain.encode(), context.encode())
        return self._current, nonce + sealed

    def open(self, key_id: str, sealed: bytes, context: str) -> str:
        key = self._keys.get(key_id)
        if key is None:
            raise KeyError(f"sealing key {key_id!r} is not configured")
        return key.decrypt(sealed[:12], sealed[12:], context.encode()).decode()
