"""AES-256-GCM keys by ID, for rotation: the first key seals, every kept key opens. Written
as space- or line-separated `<key id>:<base64 of 32 bytes>`; `#` starts a comment line."""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,40}$")


class Keyring:
    def __init__(self, keys: str, what: str = "key") -> None:
        self._keys: dict[str, AESGCM] = {}
        self.current = ""
        self.key_lines: list[str] = []
        lines = (line for line in keys.splitlines() if not line.lstrip().startswith("#"))
        for item in " ".join(lines).split():
            key_id, _, encoded = item.partition(":")
            try:
                raw = base64.b64decode(encoded, validate=True)
            except binascii.Error as err:
                raise ValueError(f"{what} {key_id!r} is not base64") from err
            if not KEY_ID.match(key_id) or len(raw) != 32:
                raise ValueError(f"{what} {key_id!r} must be `<id>:<base64 of 32 bytes>`")
            if key_id in self._keys:
                raise ValueError(f"{what} {key_id!r} is given twice")
            self._keys[key_id] = AESGCM(raw)
            self.key_lines.append(item)
            self.current = self.current or key_id
        if not self.current:
            raise ValueError(f"no {what} configured")

    @classmethod
    def from_file(cls, path: Path, what: str = "key") -> Keyring:
        try:
            return cls(path.read_text(encoding="utf-8"), what)
        except OSError as err:
            raise ValueError(f"{what} file {path}: {err.strerror}") from err

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def seal(self, plain: bytes, context: bytes) -> tuple[str, bytes]:
        """(the sealing key's ID, nonce + ciphertext), `context` bound as associated data."""
        nonce = secrets.token_bytes(12)
        return self.current, nonce + self._keys[self.current].encrypt(nonce, plain, context)

    def open(self, key_id: str, sealed: bytes, context: bytes) -> bytes:
        """The plaintext; KeyError for a key not kept, `InvalidTag` for a wrong context or a
        changed byte."""
        key = self._keys.get(key_id)
        if key is None:
            raise KeyError(key_id)
        return key.decrypt(sealed[:12], sealed[12:], context)


def new_key_line(key_id: str) -> str:
    """A fresh key as the settings take it."""
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}"
