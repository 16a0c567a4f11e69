"""Filing claims and questions: on an order (`POST /v1/orders/{id}/claims`, `…/messages`)
and on a subscription (`POST /v1/subscriptions/{id}/claims`, `…/messages`, `…/evidence`).
Decided at once from the policy: 201 with the claim's ID and the time a person answers by, or
422 naming the clause and the field. A claim of a running order is filed through the order
(`open_claim`, a child workflow); a warranty claim of a completed order, a question, and a
subscription's claims start their own workflow, decided here by the same domain rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from temporalio.client import WorkflowHandle

from domain.claims import ClaimAsk, ClaimFiled, ClaimInput, ClaimStarted, MessageAsk, started
from domain.decisions.claims import Filing
from domain.policy import Policy
from domain.policy.aftercare import ClaimKind
from domain.subscriptions import RefundCharge, SubscriptionSnapshot
from starter.api import deps
from starter.api.access import visible_order, visible_subscription
from starter.api.evidence import keep_evidence, located
from starter.api.intake import created, decided, keep_claim, start_alone
from starter.api.routing import AnswerRoute
from starter.auth import CUSTOMER_OR_OPERATOR
from starter.openapi import problems
from starter.problems import Problem
from starter.schemas.returns import ClaimFiledAnswer, Evidence
from starter.updates import IdempotencyKey, run_update
from store import claims, orders
from workflows.names import QUERY_SUBSCRIPTION, UPDATE_OPEN_CLAIM, subscription_workflow_id

log = structlog.get_logger("orderflow.api.claims")
router = APIRouter(route_class=AnswerRoute, dependencies=CUSTOMER_OR_OPERATOR, tags=["claims"])


async def _file_on_order(
    request: Request,
    order_id: str,
    kind: ClaimKind,
    ask: ClaimAsk | None,
    text: str,
    key: str | None,
) -> JSONResponse:
    row = await visible_order(request, order_id)
    pool = deps.pool(request)
    stored = await keep_claim(
        request, owner="order", owner_id=order_id, kind=kind, ask=ask, text=text, key=key
    )
    claim_id = stored["claim_id"]
    filed = ClaimFiled(
        claim_id=claim_id,
        kind=kind,
        sku=ask.sku if ask else None,
        evidence_kinds=tuple(e.kind.value for e in ask.evidence) if ask else (),
        has_invoice=True,  # the order is the purchase invoice
        store_mediation=ask.store_mediation if ask else False,
    )
    answer: ClaimStarted | None = None
    try:
        if row["status"] != "completed" and kind is not ClaimKind.QUESTION:
            answer = await run_update(
                request,
                order_id,
                UPDATE_OPEN_CLAIM,
                filed,
                ClaimStarted,
                id=f"claim:{claim_id}",
                refused_status=422,
            )
        if answer is None:  # a question, or the order's workflow has ended
            answer = await _of_ended_order(request, row, filed, stored["created_at"])
    except Problem as problem:
        if problem.status != 503:
            await claims.forget_refused(pool, claim_id)
        raise
    log.info("claim filed", kind=kind.value)
    return await created(request, answer, "order", order_id, filed.sku)


async def _of_ended_order(
    request: Request, row: dict[str, Any], filed: ClaimFiled, now: datetime
) -> ClaimStarted:
    """A question, or a claim of an order whose workflow has ended: decided from the read
    model (the pinned policy, the order's timeline) and started on its own."""
    policy = Policy.model_validate(row["policy"])
    timeline = await orders.list_events(deps.pool(request), row["order_id"])
    delivered = next((e["at"] for e in timeline if e["status"] == "delivered"), None)
    shipped = next((e["at"] for e in timeline if e["status"] == "shipped"), None)
    filing = Filing(
        kind=filed.kind,
        purchased_at=row["created_at"],
        delivered_at=delivered,
        model=filed.sku,
        category=next(
            (line.get("category") for line in row["lines"] if line.get("sku") == filed.sku), None
        ),
        evidence=filed.evidence_kinds,
        has_invoice=True,
        store_mediation=filed.store_mediation,
        standing=f"the order is {row['status']}",
        paid=any(e["kind"] == "paid" for e in timeline),
        shipped_at=shipped or delivered,
    )
    opening = decided(policy, filing, datetime.now(UTC))
    claim = ClaimInput(
        claim_id=filed.claim_id,
        kind=filed.kind,
        policy=policy,
        order_id=row["order_id"],
        sku=filed.sku,
        purchased_at=row["created_at"],
        delivered_at=delivered,
        opened_at=now,
        **opening.taken(),
        destination_country=row["shipping_address"].get("country"),
    )
    await start_alone(request, claim)
    return started(claim)


@router.post(
    "/v1/orders/{order_id}/claims",
    status_code=201,
    response_model=ClaimFiledAnswer,
    responses=problems(409, 503),
)
async def file_claim(
    order_id: str, body: ClaimAsk, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """A claim: non-delivery, not as described, shipping damage, dead on arrival, warranty.
    Decided at once: 201, or 422 with the clause and the field."""
    return await _file_on_order(
        request, order_id, ClaimKind(body.kind), body, body.description, idempotency_key
    )


@router.post(
    "/v1/orders/{order_id}/messages",
    status_code=201,
    response_model=ClaimFiledAnswer,
    responses=problems(409, 503),
)
async def ask_question(
    order_id: str, body: MessageAsk, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """A customer's question: a task answered by a person within the policy's time."""
    return await _file_on_order(
        request, order_id, ClaimKind.QUESTION, None, body.text, idempotency_key
    )


async def _last_charge(subscription_id: str, request: Request) -> SubscriptionSnapshot:
    handle: WorkflowHandle[Any, Any] = deps.temporal(request).get_workflow_handle(
        subscription_workflow_id(subscription_id)
    )
    try:
        snapshot: SubscriptionSnapshot = await handle.query(
            QUERY_SUBSCRIPTION, result_type=SubscriptionSnapshot
        )
    except Exception as err:  # noqa: BLE001 - an ended or unreachable subscription
        raise Problem(
            503,
            "Try again shortly",
            "the subscription did not answer; nothing was filed",
            headers={"Retry-After": "5"},
        ) from err
    return snapshot


async def _file_on_subscription(
    request: Request,
    subscription_id: str,
    kind: ClaimKind,
    ask: ClaimAsk | None,
    text: str,
    key: str | None,
) -> JSONResponse:
    """Decided against the period last paid for (SVC-CLM-1, SVC-CLM-2, SVC-REF-1), whose
    charge is what such a claim may give back."""
    row = await visible_subscription(request, subscription_id)
    policy = Policy.model_validate(row["policy"])
    last = (await _last_charge(subscription_id, request)).last_payment
    filing = Filing(
        kind=kind,
        purchased_at=last.paid_at if last else row["created_at"],
        evidence=tuple(e.kind.value for e in ask.evidence) if ask else (),
        standing=f"the subscription is {row['status']}",
        paid=last is not None,
    )
    opening = decided(policy, filing, datetime.now(UTC))
    stored = await keep_claim(
        request,
        owner="subscription",
        owner_id=subscription_id,
        kind=kind,
        ask=ask,
        text=text,
        key=key,
    )
    charge = (
        RefundCharge(
            subscription_id=subscription_id,
            payment_id=last.payment_id,
            amount=last.amount,
            idempotency_key=f"{subscription_id}:refund:period:{last.period}",
        )
        if last
        else None
    )
    claim = ClaimInput(
        claim_id=stored["claim_id"],
        kind=kind,
        policy=policy,
        subscription_id=subscription_id,
        purchased_at=filing.purchased_at,
        opened_at=stored["created_at"],
        **opening.taken(),
        charge=charge,
        goods=False,
    )
    await start_alone(request, claim)
    log.info("claim filed", kind=kind.value)
    return await created(request, started(claim), "subscription", subscription_id)


@router.post(
    "/v1/subscriptions/{subscription_id}/claims",
    status_code=201,
    response_model=ClaimFiledAnswer,
    responses=problems(409, 503),
)
async def file_subscription_claim(
    subscription_id: str, body: ClaimAsk, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Not delivered (SVC-CLM-1), not as described (SVC-CLM-2), or unhappy (SVC-REF-1)."""
    return await _file_on_subscription(
        request, subscription_id, ClaimKind(body.kind), body, body.description, idempotency_key
    )


@router.post(
    "/v1/subscriptions/{subscription_id}/messages",
    status_code=201,
    response_model=ClaimFiledAnswer,
    responses=problems(409, 503),
)
async def ask_about_subscription(
    subscription_id: str, body: MessageAsk, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    return await _file_on_subscription(
        request, subscription_id, ClaimKind.QUESTION, None, body.text, idempotency_key
    )


@router.post(
    "/v1/subscriptions/{subscription_id}/evidence",
    status_code=201,
    response_model=Evidence,
    responses=problems(413, 415),
)
async def upload_subscription_evidence(
    subscription_id: str, request: Request, response: Response
) -> dict[str, Any]:
    """A screenshot or document for a subscription's claim, as the raw body with its
    Content-Type; kept in the evidence store, never in Temporal."""
    await visible_subscription(request, subscription_id)
    kept = await keep_evidence(request, subscription_id=subscription_id)
    return located(response, kept, f"/v1/subscriptions/{subscription_id}/evidence")
