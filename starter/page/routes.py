"""The customer's order page: `GET /orders/{id}?token=…`, in the customer's language, the
page every e-mail links to and the payment pages return to."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from domain.status import OrderStatus
from messages import language_of, phrase, render_page
from messages.context import locale_of
from messages.phrases import DEADLINES, ORDER_STATUS, PARCEL_STATUS, RETURN_REASONS
from runtime.tokens import Grant
from starter.api.deps import PoolDep
from starter.api.help_answers import answered
from starter.api.links import next_action, page_path, returning_to_page
from starter.api.routing import AnswerRoute
from starter.auth import grant
from starter.problems import Problem
from store import edits, nonces, orders
from workflows.names import order_workflow_id

log = structlog.get_logger("orderflow.api.page")
router = APIRouter(route_class=AnswerRoute, tags=["customers"])


def _open(deadlines: dict[str, Any], name: str, now: datetime) -> bool:
    at = deadlines.get(name)
    return bool(at) and datetime.fromisoformat(str(at).replace("Z", "+00:00")) > now


def actions(status: OrderStatus, deadlines: dict[str, Any], now: datetime) -> list[str]:
    """What the customer may still ask for. The order's workflow decides each ask by the
    policy; the page only leaves out what can no longer be asked."""
    found = []
    if status.before_shipment and _open(deadlines, "edit_window_closes_at", now):
        found.append("address")
    if status.before_shipment:
        found.append("cancel")
    if status is OrderStatus.DELIVERED and _open(deadlines, "return_window_closes_at", now):
        found.append("return")
    return found


async def _page_facts(
    request: Request, pool: asyncpg.Pool, row: dict[str, Any], granted: Grant, token: str
) -> dict[str, Any]:
    """What the order page shows, in the customer's language."""
    order_id = row["order_id"]
    policy = row["policy"]
    language = language_of(locale_of(row))[1]
    timeline = await orders.list_events(pool, order_id)
    deadlines = row["deadlines"] or {}
    now = datetime.now(UTC)
    return {
        "shop": policy.get("display_name", ""),
        "order_id": order_id,
        "token": token,
        "status": ORDER_STATUS.get(row["status"], row["status"]),
        "placed_at": row["created_at"],
        "currency": row["currency"],
        "total": f"{row['total']} {row['currency']}",
        "lines": row["lines"],
        "parcels": [
            {**s, "status": PARCEL_STATUS.get(s.get("status", ""), s.get("status"))}
            for s in row["shipments"]
            if not s.get("voided")
        ],
        "deadlines": [
            (phrase(language, label), deadlines[key])
            for key, label in DEADLINES.items()
            if deadlines.get(key)
        ],
        "actions": [
            act
            for act in actions(OrderStatus(row["status"]), deadlines, now)
            if act != "address" or granted.allows("edit")
        ],
        "reasons": [(value, phrase(language, label)) for value, label in RETURN_REASONS.items()],
        "country": row["shipping_address"].get("country", ""),
        "next_action": returning_to_page(request, order_id, next_action(row["status"], timeline))
        .get("next_action", {})
        .get("url"),
        "timeline": timeline,
        "approvals": [e["answer"] for e in await edits.awaiting(pool, order_id)]
        if granted.allows("act")
        else [],
        "help": await answered(pool, row, timeline, language),
    }


def _private(page: str, nonce: str) -> HTMLResponse:
    """The page, never cached or referred, its only script the one with this nonce."""
    return HTMLResponse(
        page,
        headers={
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": (
                f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
                "connect-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'; "
                "frame-ancestors 'none'"
            ),
        },
    )


@router.get("/orders/{order_id}", response_class=HTMLResponse)
async def order_page(
    order_id: str,
    request: Request,
    pool: PoolDep,
    token: Annotated[str, Query(max_length=100, description="the order's access token")],
) -> HTMLResponse:
    """The order as its customer sees it: status, parcels, dates, what can still be done
    (forms that call the API with the same token) and the timeline with its clauses."""
    row = await orders.get_order(pool, order_id)
    granted = grant(request, token, "order", order_id)
    if row is None or granted is None or not granted.allows("read"):
        raise Problem(404, "Order not found", "no order with this ID opens with this link")
    structlog.contextvars.bind_contextvars(
        order_id=order_id, workflow_id=order_workflow_id(order_id)
    )
    nonce = secrets.token_urlsafe(16)
    facts = await _page_facts(request, pool, row, granted, token)
    page = render_page(
        "order_page",
        locale_of(row),
        row["policy"].get("timezone", "UTC"),
        {**facts, "nonce": nonce},
    )
    return _private(page, nonce)


# A browser's way back from a provider's page, not an API: left out of the OpenAPI document.
@router.get(
    "/orders/{order_id}/back",
    response_class=RedirectResponse,
    status_code=303,
    include_in_schema=False,
)
async def back_from_the_provider(
    order_id: str,
    request: Request,
    pool: PoolDep,
    nonce: Annotated[str, Query(max_length=120, description="the one-time way back")],
) -> RedirectResponse:
    """Where a payment provider's page (3-D Secure, PayPal) sends the customer back: the
    one-time nonce it carried opens the order page once, with a `link` session of its own;
    the provider never held the customer's token."""
    granted = grant(request, nonce, "order", order_id)
    if granted is None or not granted.allows("return") or granted.nonce is None:
        raise Problem(404, "Order not found", "this way back is not this order's, or has expired")
    if not await nonces.use(pool, nonce):
        raise Problem(
            410,
            "Link already used",
            "this way back from the payment page was used already: open the order from the "
            "link in your e-mail",
        )
    return RedirectResponse(page_path(request, order_id), status_code=303)
