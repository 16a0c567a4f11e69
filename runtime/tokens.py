"""Customers' tokens and the links that carry them: the API checks them, e-mails carry them."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass


def customer_token(secret: str, kind: str, resource_id: str) -> str:
    """The customer's token for one order or subscription (`kind`); derived, so a retried
    placement returns the same, and one kind's token never opens the other."""
    digest = hmac.new(secret.encode(), f"{kind}:{resource_id}".encode(), hashlib.sha256).hexdigest()
    return f"{kind[0]}t_{digest[:40]}"


@dataclass(frozen=True)
class Links:
    """Where customers' browsers reach the API, and the secret their tokens derive from."""

    base_url: str
    token_secret: str

    def order_page(self, order_id: str) -> str:
        token = customer_token(self.token_secret, "order", order_id)
        return f"{self.base_url.rstrip('/')}/orders/{order_id}?token={token}"
