"""Storefront and customer endpoints for orders."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
import structlog
from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from temporalio.client import Client

from activities.cards import card_codes
from domain.calendar import pin_calendar
from domain.decisions.payment import coupons, payment_method
from domain.decisions.quote import Quote, order_amount, quote_order
from domain.decisions.routing import route_lines
from domain.orders import DIGITAL_CATEGORIES, PaymentStep, PlaceOrder
from domain.policy import PaymentMethod, Policy
from starter.api import deps
from starter.api.access import merchant_policy, visible_order
from starter.api.deps import PoolDep, SealerDep, SettingsDep, TemporalDep
from starter.api.intake import body_hash, new_id, refused_at_intake, same_request
from starter.api.links import next_action, page_path, returning_to_page
from starter.api.routing import AnswerRoute
from starter.auth import (
    CUSTOMER_OR_OPERATOR,
    is_order_owner,
    require_storefront,
    storefront_token,
)
from starter.launch import payment_step, place_order_workflow, step_json
from starter.metrics import ORDERS_PLACED
from starter.openapi import problems
from starter.problems import Problem
from starter.schemas.orders import OrderAnswer, Placed
from starter.views import money_json, return_json
from store import cards, emails, ledger, orders
from workflows.names import order_workflow_id

log = structlog.get_logger("orderflow.api.orders")
router = APIRouter(route_class=AnswerRoute, prefix="/v1/orders", tags=["orders"])


def _accepted(policy: Policy, body: PlaceOrder) -> Quote:
    """The order as the merchant's policy takes it at placement, priced; else a 422 naming
    the field and the clause that refused it."""
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
    return quote


async def _started(
    pool: asyncpg.Pool, temporal: Client, task_queue: str, row: dict[str, Any]
) -> PaymentStep | None:
    """The order's workflow started (once), and where its payment stands."""
    order_id = row["order_id"]
    if row["workflow_started_at"] is not None:
        return await payment_step(temporal, order_id)
    started, step = await place_order_workflow(temporal, row, task_queue)
    if started:
        await orders.mark_workflow_started(pool, order_id)
    else:
        # The order is stored: the relay starts its workflow once Temporal answers again.
        log.warning("order accepted, workflow start deferred")
    return step


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
    pool: PoolDep,
    sealer: SealerDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    policy = merchant_policy(request, body.merchant, body.currency)
    quote = _accepted(policy, body)
    placed_at = datetime.now(UTC)
    request_hash = body_hash(body)
    try:
        row, created = await orders.insert_order(
            pool,
            order_id=new_id(),
            order=body,
            quote=quote,
            policy=pin_calendar(policy, placed_at),
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            placed_at=placed_at,
            sealer=sealer,
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
    step = await _started(pool, temporal, settings.temporal_task_queue, row)
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
async def get_order(order_id: str, request: Request, pool: PoolDep) -> dict[str, Any]:
    row = await visible_order(request, order_id)
    currency = row["currency"]
    timeline = await orders.list_events(pool, order_id)
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
            for m in await ledger.movements(pool, order_id)
        ],
        "shipments": row["shipments"],
        "deadlines": row["deadlines"],
        "emails": await emails.for_order(pool, order_id),
        "coupons": row["coupons"],
        "returns": await _returns_of(pool, order_id),
        "digital_cards": await cards_json(request, row),
        "timeline": timeline,
    }


async def cards_json(request: Request, row: dict[str, Any]) -> list[dict[str, Any]]:
    """The order's gift cards; with the order's own token, each with its code as issued."""
    if not any(line.get("category") in DIGITAL_CATEGORIES for line in row["lines"]):
        return []
    order_id = row["order_id"]
    kept = await cards.of_order(deps.pool(request), order_id)
    codes = (
        await card_codes(deps.pool(request), deps.sealer(request), order_id)
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
