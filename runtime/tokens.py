"""Customers' tokens and the links that carry them: the API checks them, e-mails carry them.

A token names its key (so keys rotate without breaking links sent before), its scope and its
expiry, and is bound by an HMAC to one order or subscription:
`<o|s>t.<key id>.<scope>.<expires at>.<mac>`. Scopes, widest first:
- `full`: the storefront's token from placement: reads, acts, and changes what only the buyer
  at the shop may change (the shipping address);
- `link`: what e-mails and pages carry: reads and acts (cancel, return, claim, retry payment);
- `return`: the one-time nonce a payment provider sends the customer back with; it opens
  nothing by itself, the order page exchanges it once for a `link` session.
Tokens made before keys had IDs (`ot_<hex>`) still read and act, while their key is kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
# What each scope may do.
ABILITIES = {
    "full": frozenset({"read", "act", "edit"}),
    "link": frozenset({"read", "act"}),
    "legacy": frozenset({"read", "act"}),
    "return": frozenset({"return"}),
}
UNNAMED_KEY = "k0"


@dataclass(frozen=True)
class Grant:
    """What a token checked for one resource allows."""

    scope: str
    expires_at: int | None
    nonce: str | None = None

    def allows(self, ability: str) -> bool:
        return ability in ABILITIES[self.scope]


def legacy_token(secret: str, kind: str, resource_id: str) -> str:
    """A token as made before keys had IDs (no scope, no expiry)."""
    digest = hmac.new(secret.encode(), f"{kind}:{resource_id}".encode(), hashlib.sha256).hexdigest()
    return f"{kind[0]}t_{digest[:40]}"


class TokenKeys:
    """The token secrets: space-separated `<key id>:<secret>`, the first signs, every one
    kept verifies (a bare secret is key `k0`)."""

    def __init__(self, keys: str) -> None:
        self._keys: dict[str, bytes] = {}
        for item in keys.split():
            key_id, sep, secret = item.partition(":")
            if not sep:
                key_id, secret = UNNAMED_KEY, item
            if not KEY_ID.match(key_id) or not secret:
                raise ValueError(f"token key {key_id!r} must be `<id>:<secret>`")
            self._keys.setdefault(key_id, secret.encode())
        if not self._keys:
            raise ValueError("no token key configured")
        self.current = next(iter(self._keys))

    def _mac(self, key_id: str, signed: str, kind: str, resource_id: str) -> str:
        message = f"{signed}|{kind}:{resource_id}".encode()
        digest = hmac.new(self._keys[key_id], message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def issue(
        self, kind: str, resource_id: str, scope: str, expires_at: datetime, nonce: bool = False
    ) -> str:
        """A token of `scope` for one order or subscription, valid until `expires_at`; with
        `nonce`, unique (a one-time token)."""
        parts = [f"{kind[0]}t", self.current, scope, str(int(expires_at.timestamp()))]
        if nonce:
            parts.append(secrets.token_urlsafe(12))
        signed = ".".join(parts)
        return f"{signed}.{self._mac(self.current, signed, kind, resource_id)}"

    def read(
        self, token: str, kind: str, resource_id: str, now: float | None = None
    ) -> Grant | None:
        """What `token` allows on this resource; None when it is not its token, its key is
        no longer kept, or it has expired."""
        parts = token.split(".")
        if len(parts) == 1:
            for secret in self._keys.values():
                expected = legacy_token(secret.decode(), kind, resource_id)
                if hmac.compare_digest(token.encode(), expected.encode()):
                    return Grant("legacy", None)
            return None
        if len(parts) not in (5, 6) or parts[0] != f"{kind[0]}t" or parts[1] not in self._keys:
            return None
        key_id, scope, expires, mac = parts[1], parts[2], parts[3], parts[-1]
        if scope not in ABILITIES or scope == "legacy" or not expires.isdigit():
            return None
        expected = self._mac(key_id, ".".join(parts[:-1]), kind, resource_id)
        if not hmac.compare_digest(mac.encode(), expected.encode()):
            return None
        if int(expires) <= (time.time() if now is None else now):
            return None
        return Grant(scope, int(expires), parts[4] if len(parts) == 6 else None)


@dataclass(frozen=True)
class Links:
    """Where customers' browsers reach the API, and the keys their tokens are made with."""

    base_url: str
    token_secret: str
    link_lifetime: timedelta = timedelta(days=30)
    return_lifetime: timedelta = timedelta(hours=72)
    keys: TokenKeys = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", TokenKeys(self.token_secret))

    def _base(self) -> str:
        return self.base_url.rstrip("/")

    def order_page(self, order_id: str, now: datetime | None = None) -> str:
        """The order page with a `link` token: what every e-mail carries."""
        at = (now or datetime.now().astimezone()) + self.link_lifetime
        token = self.keys.issue("order", order_id, "link", at)
        return f"{self._base()}/orders/{order_id}?token={token}"

    def return_page(self, order_id: str) -> str:
        """Where a payment provider sends the customer back: a one-time nonce, no token."""
        at = datetime.now().astimezone() + self.return_lifetime
        nonce = self.keys.issue("order", order_id, "return", at, nonce=True)
        return f"{self._base()}/orders/{order_id}/back?nonce={nonce}"
