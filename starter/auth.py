"""Who may call what: the storefront key, the operator key and each order's own token."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

from starter.problems import Problem


def order_token(secret: str, order_id: str) -> str:
    """The customer's token for one order; derived, so a retried placement returns the same."""
    digest = hmac.new(secret.encode(), f"order:{order_id}".encode(), hashlib.sha256).hexdigest()
    return f"ot_{digest[:40]}"


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


def may_read_order(request: Request, order_id: str) -> bool:
    """The order's own token, or the operator key. Anything else sees no order at all."""
    settings = request.app.state.settings
    given = bearer(request)
    return _matches(
        given, order_token(settings.order_token_secret.get_secret_value(), order_id)
    ) or _matches(given, settings.operator_api_key.get_secret_value())


def is_order_owner(request: Request, order_id: str) -> bool:
    """The order's own token: the customer, who alone sees what is secret to them (card
    codes); the operator key reads the order without them."""
    settings = request.app.state.settings
    return _matches(
        bearer(request), order_token(settings.order_token_secret.get_secret_value(), order_id)
    )
