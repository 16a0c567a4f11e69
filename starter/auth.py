"""Who may call what: the storefront key, the operator key and each order's own token."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

from starter.problems import Problem


def customer_token(secret: str, kind: str, resource_id: str) -> str:
    """The customer's token for one order or subscription (`kind`); derived, so a retried
    placement returns the same, and one kind's token never opens the other."""
    digest = hmac.new(secret.encode(), f"{kind}:{resource_id}".encode(), hashlib.sha256).hexdigest()
    return f"{kind[0]}t_{digest[:40]}"


def order_token(secret: str, order_id: str) -> str:
    return customer_token(secret, "order", order_id)


def bearer(request: Request) -> str:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _matches(given: str, expected: str) -> bool:
    return bool(given) and secrets.compare_digest(given.encode(), expected.encode())


def _require(request: Request, expected: str, who: str) -> None:
    if not _matches(bearer(request), expected):
        raise Problem(
            401,
            "Unauthorized",
            f"a valid {who} API key is required",
            headers={"WWW-Authenticate": "Bearer"},
        )


def require_storefront(request: Request) -> None:
    settings = request.app.state.settings
    _require(request, settings.storefront_api_key.get_secret_value(), "storefront")


def require_operator(request: Request) -> None:
    settings = request.app.state.settings
    _require(request, settings.operator_api_key.get_secret_value(), "operator")


def is_customer(request: Request, kind: str, resource_id: str) -> bool:
    """The request carries the customer's own token for this order or subscription."""
    secret = request.app.state.settings.order_token_secret.get_secret_value()
    return _matches(bearer(request), customer_token(secret, kind, resource_id))


def may_read(request: Request, kind: str, resource_id: str) -> bool:
    """Its customer's own token, or the operator key. Anything else sees nothing at all."""
    operator = request.app.state.settings.operator_api_key.get_secret_value()
    return is_customer(request, kind, resource_id) or _matches(bearer(request), operator)


def may_read_order(request: Request, order_id: str) -> bool:
    return may_read(request, "order", order_id)


def is_order_owner(request: Request, order_id: str) -> bool:
    """The order's own token: the customer, who alone sees what is secret to them (card
    codes); the operator key reads the order without them."""
    return is_customer(request, "order", order_id)
