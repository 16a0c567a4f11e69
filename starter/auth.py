"""Who may call what: the storefront key, each operator's own credential (the shared
operator key outside production) and each order's own token."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.security import APIKeyHeader, HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from runtime.tokens import Grant, TokenKeys
from starter.api import deps
from starter.api.routing import AnswerRoute
from starter.openapi import problems
from starter.problems import Problem
from store import operators

# The callers, as the OpenAPI document names them. Each only documents and reads the header;
# the checks below decide.
STOREFRONT = HTTPBearer(
    scheme_name="storefront",
    description="The shop's storefront API key (`ORDERFLOW_STOREFRONT_API_KEY`).",
    auto_error=False,
)
OPERATOR = HTTPBearer(
    scheme_name="operator",
    description="An operator's own credential (`oper_…`, made by `orderflow operators "
    "create`); outside production also the shared development key.",
    auto_error=False,
)
CUSTOMER = HTTPBearer(
    scheme_name="customer",
    description="The customer's token for one order or subscription, as placement answered it.",
    auto_error=False,
)
WEBHOOK = APIKeyHeader(
    name="webhook-signature",
    scheme_name="standard_webhooks",
    description="A Standard Webhooks signature over `webhook-id`, `webhook-timestamp` and the "
    "raw body, under the provider's signing secret; both other headers are required too.",
    auto_error=False,
)
# A customer's own resource: its token, or an operator's credential.
CUSTOMER_OR_OPERATOR = [Depends(CUSTOMER), Depends(OPERATOR)]

# Who acted when the shared development key was used and the body named no one.
SHARED_KEY = "development key"


def token_keys(request: Request) -> TokenKeys:
    """The customers' token keys, read once when the API starts."""
    keys: TokenKeys = deps.token_keys(request)
    return keys


def storefront_token(request: Request, kind: str, resource_id: str, issued_at: datetime) -> str:
    """The `full` token placement answers the storefront with; derived from when the order
    or subscription was placed, so a retried placement answers the same one."""
    days = deps.settings(request).customer_token_lifetime_days
    expires = issued_at + timedelta(days=days)
    return token_keys(request).issue(kind, resource_id, "full", expires)


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


async def require_storefront(request: Request, _: object = Depends(STOREFRONT)) -> None:
    settings = deps.settings(request)
    _require(request, settings.storefront_api_key.get_secret_value(), "storefront")


def operator_name(request: Request) -> str | None:
    """The operator behind these credentials: a named operator's own credential, or the
    shared key outside production (`SHARED_KEY`); None for anyone else."""
    named: str | None = getattr(request.state, "operator", None)
    if named:
        return named
    settings = deps.settings(request)
    if settings.environment != "production" and _matches(
        bearer(request), settings.operator_api_key.get_secret_value()
    ):
        return SHARED_KEY
    return None


def acting(request: Request, given: str = "") -> str:
    """Who an operator's act is recorded under: a named credential's operator always; with
    the shared development key, the name the body gave (or `SHARED_KEY`)."""
    name = operator_name(request) or ""
    return given if name == SHARED_KEY and given else name


async def require_operator(request: Request, _: object = Depends(OPERATOR)) -> None:
    if operator_name(request) is None:
        raise Problem(
            401,
            "Unauthorized",
            "a valid operator credential is required",
            headers={"WWW-Authenticate": "Bearer"},
        )


class OperatorIdentity:
    """Resolves a named operator's credential (`op_…`) once per request, before any route
    runs, so the checks above stay plain functions."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            credential = bearer(request)
            if credential.startswith(operators.PREFIX):
                name = await operators.who(deps.pool(request), credential)
                scope.setdefault("state", {})["operator"] = name
        await self.app(scope, receive, send)


def grant(request: Request, token: str, kind: str, resource_id: str) -> Grant | None:
    """What `token` allows on this order or subscription (None: nothing at all)."""
    if not token:
        return None
    return token_keys(request).read(token, kind, resource_id)


def opens(request: Request, token: str, kind: str, resource_id: str, ability: str = "read") -> bool:
    """`token` is the customer's own for this order or subscription, and may do `ability`."""
    given = grant(request, token, kind, resource_id)
    return given is not None and given.allows(ability)


def is_customer(request: Request, kind: str, resource_id: str, ability: str = "read") -> bool:
    """The request carries the customer's own token for this order or subscription."""
    return opens(request, bearer(request), kind, resource_id, ability)


def may_read(request: Request, kind: str, resource_id: str) -> bool:
    """Its customer's own token, or an operator. Anything else sees nothing at all."""
    return is_customer(request, kind, resource_id) or operator_name(request) is not None


def may_read_order(request: Request, order_id: str) -> bool:
    return may_read(request, "order", order_id)


def is_order_owner(request: Request, order_id: str) -> bool:
    """The order's own token: the customer, who alone sees what is secret to them (card
    codes); the operator key reads the order without them."""
    return is_customer(request, "order", order_id)


def operator_router(*problem_statuses: int) -> APIRouter:
    """A router of operators' endpoints under `/v1/ops`: each needs an operator's credential
    and may answer the problems given."""
    return APIRouter(
        route_class=AnswerRoute,
        prefix="/v1/ops",
        tags=["operators"],
        dependencies=[Depends(require_operator)],
        responses=problems(*problem_statuses),
    )
