"""Secrets at rest: AES-256-GCM with a key ID beside each sealed value, so keys can rotate
(the first key seals, every configured key opens)."""

from __future__ import annotations

from store.keyring import Keyring


class Sealer:
    def __init__(self, keys: str) -> None:
        """`keys`: space-separated `<key id>:<base64 of 32 bytes>`, the sealing key first."""
        self._keyring = Keyring(keys, "sealing key")

    def seal(self, plain: str, context: str) -> tuple[str, bytes]:
        """(key ID, nonce + ciphertext); `context` is bound to it, so a sealed value moved to
        another row does not open."""
        return self._keyring.seal(plain.encode(), context.encode())

    def open(self, key_id: str, sealed: bytes, context: str) -> str:
        try:
            return self._keyring.open(key_id, sealed, context.encode()).decode()
        except KeyError as err:
            raise KeyError(f"sealing key {key_id!r} is not configured") from err
