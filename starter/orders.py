"""Storefront and customer endpoints for orders."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from activities.cards import card_codes
from domain.calendar import pin_calendar
from domain.decisions import Decision
from domain.decisions.payment import coupons, payment_method
from domain.decisions.quote import order_amount, quote_order
from domain.decisions.routing import Routing, route_lines
from domain.orders import DIGITAL_CATEGORIES, PlaceOrder
from domain.policy import PaymentMethod, Policy
from starter.auth import (
    CUSTOMER_OR_OPERATOR,
    is_order_owner,
    may_read_order,
    require_storefront,
    storefront_token,
)
from starter.launch import payment_step, place_order_workflow, step_json
from starter.metrics import ORDERS_PLACED
from starter.openapi import problems
from starter.page import next_action, page_path, returning_to_page
from starter.problems import Problem
from starter.schemas import AnswerRoute
from starter.schemas.orders import OrderAnswer, Placed
from starter.views import money_json, return_json
from store import cards, emails, ledger, orders
from workflows.names import order_workflow_id

log = structlog.get_logger("orderflow.api.orders")
router = APIRouter(route_class=AnswerRoute, prefix="/v1/orders", tags=["orders"])


def new_id() -> str:
    """An order's or a subscription's ID: time-ordered and unguessable, 11 hex digits of
    milliseconds and 10 of randomness."""
    return f"{int(time.time() * 1000):011x}{secrets.token_hex(5)}"


def merchant_policy(request: Request, merchant: str, currency: str) -> Policy:
    """The merchant's preset, when it exists and prices in `currency`; else a 422 naming the
    field."""
    policy: Policy | None = request.app.state.presets.get(merchant)
    if policy is None:
        raise Problem(
            422, "Unknown merchant", f"no policy preset named {merchant!r}", field="merchant"
        )
    if currency != policy.currency:
        raise Problem(
            422,
            "Wrong currency",
            f"{policy.display_name} prices in {policy.currency}, not {currency}",
            field="currency",
        )
    return policy


def body_hash(body: BaseModel) -> str:
    """What tells a repeated request from a different one under the same Idempotency-Key."""
    return hashlib.sha256(
        json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()
    ).hexdigest()


def same_request(row: dict[str, Any], request_hash: str, what: str) -> None:
    """A stored row found by its Idempotency-Key must come from the same request body."""
    if row["request_hash"] != request_hash:
        raise Problem(
            422,
            "Idempotency key reused",
            f"this Idempotency-Key was used for a different {what}",
            field="Idempotency-Key",
            kind="idempotency-key-reused",
        )


async def visible_order(request: Request, order_id: str) -> dict[str, Any]:
    """The order, if these credentials may see it (its own token, or the operator key);
    otherwise a 404 that reveals nothing. Binds the order to the request's log context."""
    row = (
        await orders.get_order(request.app.state.pool, order_id)
        if may_read_order(request, order_id)
        else None
    )
    if row is None:
        raise Problem(
            404, "Order not found", "no order with this ID is visible with the credentials given"
        )
    structlog.contextvars.bind_contextvars(
        order_id=order_id, workflow_id=order_workflow_id(order_id)
    )
    return row


def refused_at_intake(title: str, decided: Decision | Routing, field: str) -> Problem:
    """The 422 for an order the merchant's policy refuses at placement: the field and the
    clause that decided it."""
    clause = decided.clauses[0] if decided.clauses else None
    return Problem(422, title, decided.reason, field=field, clause=clause)


@router.post(
    "",
    status_code=201,
    dependencies=[Depends(require_storefront)],
    response_model=Placed,
    responses=problems(409, 503),
)
async def place_order(
    body: PlaceOrder,
    request: Request,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    app = request.app.state
    policy = merchant_policy(request, body.merchant, body.currency)
    method = payment_method(policy, body.payment.method)
    if not method.allowed:
        raise refused_at_intake("Payment method not offered", method, "payment.method")
    if body.payment.method is PaymentMethod.CARD and not body.payment.token:
        raise Problem(
            422,
            "Card token missing",
            "a card payment needs the token the payment provider issued",
            field="payment.token",
        )

    coupon_rule = coupons(policy, body.coupons)
    if not coupon_rule.allowed:
        raise refused_at_intake("Too many coupons", coupon_rule, "coupons")
    route = route_lines(policy, body.lines)
    if not route.allowed:
        raise refused_at_intake("Not sold through orders", route, route.field or "lines")

    quote = quote_order(policy, body.lines)
    amount = order_amount(policy, quote)
    if not amount.allowed:
        raise refused_at_intake("Order total out of range", amount, "lines")
    placed_at = datetime.now(UTC)
    request_hash = body_hash(body)
    try:
        row, created = await orders.insert_order(
            app.pool,
            order_id=new_id(),
            order=body,
            quote=quote,
            policy=pin_calendar(policy, placed_at),
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            placed_at=placed_at,
            sealer=app.sealer,
        )
    except orders.ReferenceTaken as taken:
        raise Problem(
            409,
            "External reference taken",
            f"order {taken.order_id} of {body.merchant} already carries this external reference",
            field="external_reference",
        ) from taken
    if not created:
        same_request(row, request_hash, "order body")
    order_id = row["order_id"]
    structlog.contextvars.bind_contextvars(
        order_id=order_id, workflow_id=order_workflow_id(order_id)
    )
    if created:
        ORDERS_PLACED.labels(merchant=body.merchant).inc()
    if row["workflow_started_at"] is None:
        started, step = await place_order_workflow(
            app.temporal, row, app.settings.temporal_task_queue
        )
        if started:
            await orders.mark_workflow_started(app.pool, order_id)
        else:
            # The order is stored: the relay starts its workflow once Temporal answers again.
            log.warning("order accepted, workflow start deferred")
    else:
        step = await payment_step(app.temporal, order_id)
    token = storefront_token(request, "order", order_id, row["created_at"])
    return JSONResponse(
        {
            "order_id": order_id,
            "status": row["status"],
            **returning_to_page(request, order_id, step_json(step) if step else {}),
            "access_token": token,
            "total": money_json(row["total"], row["currency"]),
            "links": {"self": f"/v1/orders/{order_id}", "page": page_path(request, order_id)},
        },
        status_code=201,
        headers={
            "Location": f"/v1/orders/{order_id}",
            **({} if created else {"Idempotent-Replayed": "true"}),
        },
    )


@router.get("/{order_id}", response_model=OrderAnswer, dependencies=CUSTOMER_OR_OPERATOR)
async def get_order(order_id: str, request: Request) -> dict[str, Any]:
    app = request.app.state
    row = await visible_order(request, order_id)
    currency = row["currency"]
    timeline = await orders.list_events(app.pool, order_id)
    return {
        "order_id": order_id,
        "merchant": row["merchant"],
        "external_reference": row["external_reference"],
        "status": row["status"],
        **returning_to_page(
            request, order_id, {"status": row["status"], **next_action(row["status"], timeline)}
        ),
        "placed_at": row["created_at"],
        "locale": row["customer"].get("locale"),
        "policy_version": row["policy_version"],
        "amounts": {
            "items": money_json(row["items_total"], currency),
            "shipping": money_json(row["shipping_total"], currency),
            "total": money_json(row["total"], currency),
        },
        "lines": row["lines"],
        "shipping_address": row["shipping_address"],
        "payments": [
            {**m, "amount": money_json(m["amount"], m["currency"])}
            for m in await ledger.movements(app.pool, order_id)
        ],
        "shipments": row["shipments"],
        "deadlines": row["deadlines"],
        "emails": await emails.for_order(app.pool, order_id),
        "coupons": row["coupons"],
        "returns": await _returns_of(app.pool, order_id),
        "digital_cards": await cards_json(request, row),
        "timeline": timeline,
    }


async def cards_json(request: Request, row: dict[str, Any]) -> list[dict[str, Any]]:
    """The order's gift cards; with the order's own token, each with its code as issued."""
    if not any(line.get("category") in DIGITAL_CATEGORIES for line in row["lines"]):
        return []
    app, order_id = request.app.state, row["order_id"]
    kept = await cards.of_order(app.pool, order_id)
    codes = (
        await card_codes(app.pool, app.sealer, order_id)
        if kept and is_order_owner(request, order_id)
        else {}
    )
    return [
        {
            "card_id": card["card_id"],
            "sku": card["sku"],
            "line": card["line"],
            "value": money_json(card["amount"], card["currency"]),
            "status": card["status"],
            "issued_at": card["issued_at"],
            "expires_at": card["expires_at"],
            "redeemed_at": card["redeemed_at"],
            **({"code": codes[card["card_id"]]} if card["card_id"] in codes else {}),
        }
        for card in kept
    ]


async def _returns_of(pool: Any, order_id: str) -> list[dict[str, Any]]:
    """The order's returns, each with its deadlines, refund breakdown and timeline."""
    from store import returns

    rows = await returns.returns_of_order(pool, order_id)
    timeline = await returns.events(pool, [r["rma_id"] for r in rows])
    return [return_json(row, timeline) for row in rows]
