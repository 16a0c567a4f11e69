"""Claims and customers' questions over HTTP. A claim is decided at once from the policy: 201
with its ID and the time a person answers by, or 422 naming the clause and the field. A claim
of a running order is filed through the order (`open_claim`, a child workflow); a warranty
claim of a completed order and a subscription's claims and questions start their own
workflow, decided here by the same domain rules."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from temporalio.client import WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.claims import (
    ChargeToRefund,
    ClaimAsk,
    ClaimFiled,
    ClaimInput,
    ClaimSnapshot,
    ClaimStarted,
    MessageAsk,
    QuoteAnswer,
    QuoteOutcome,
)
from domain.decisions.claims import Filing, open_claim
from domain.money import Money
from domain.policy import Policy
from domain.policy.aftercare import ClaimKind
from domain.status import ClaimStatus
from domain.subscriptions import SubscriptionSnapshot
from starter.auth import may_read
from starter.changes import IdempotencyKey, run_update
from starter.orders import body_hash, money_json, visible_order
from starter.problems import Problem
from starter.returns import keep_evidence
from starter.subscriptions import visible_subscription
from store import claims, evidence, orders
from workflows.names import (
    QUERY_SUBSCRIPTION,
    UPDATE_ANSWER_QUOTE,
    UPDATE_OPEN_CLAIM,
    claim_workflow_id,
    subscription_workflow_id,
)

log = structlog.get_logger("orderflow.api.claims")
router = APIRouter(tags=["claims"])


def _claim_id(prefix: str, owner_id: str, key: str | None) -> str:
    """From the client's Idempotency-Key, so a repeated request is the same claim."""
    if key is None:
        return f"{prefix}_{secrets.token_hex(8)}"
    return f"{prefix}_" + hashlib.sha256(f"{owner_id}:{prefix}:{key}".encode()).hexdigest()[:16]


async def _known_evidence(request: Request, owner: str, owner_id: str, ask: ClaimAsk) -> None:
    ids = [e.evidence_id for e in ask.evidence]
    unknown = set(ids) - await evidence.of_owner(request.app.state.pool, owner, owner_id, ids)
    if unknown:
        raise Problem(
            422,
            "Unknown evidence",
            "not files of this " + owner + ": " + ", ".join(sorted(unknown)),
            field="evidence",
        )


def _refused(reason: str, clauses: tuple[str, ...], field: str | None) -> Problem:
    return Problem(
        422,
        "Refused by the merchant's policy",
        reason,
        clause=clauses[0] if clauses else None,
        field=field,
    )


def _created(started: ClaimStarted, owner: str, owner_id: str) -> JSONResponse:
    claim_id = started.claim_id
    return JSONResponse(
        {
            "claim_id": claim_id,
            f"{owner}_id": owner_id,
            "kind": started.kind.value,
            "status": started.status.value,
            "answer_by": started.answer_by.isoformat() if started.answer_by else None,
            "warranty": started.warranty.model_dump(mode="json") if started.warranty else None,
            "clauses": list(started.clauses),
            "links": {"self": f"/v1/claims/{claim_id}"},
        },
        status_code=201,
        headers={"Location": f"/v1/claims/{claim_id}"},
    )


async def _start_alone(request: Request, claim: ClaimInput) -> None:
    """A claim with no running order to be the child of: its own workflow, started once."""
    app = request.app.state
    try:
        await app.temporal.start_workflow(
            "ClaimWorkflow",
            claim,
            id=claim_workflow_id(claim.claim_id),
            task_queue=app.settings.temporal_task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=f"Claim {claim.claim_id} of "
            + (
                f"order {claim.order_id}"
                if claim.order_id
                else f"subscription {claim.subscription_id}"
            )
            + f" · {claim.kind.value}",
        )
    except WorkflowAlreadyStartedError:
        pass  # the same request again


def _decided(policy: Policy, filing: Filing, now: datetime) -> Any:
    opening = open_claim(policy, filing, now)
    if not opening.decision.allowed:
        raise _refused(opening.decision.reason, opening.decision.clauses, opening.field)
    return opening


async def _file_on_order(
    request: Request,
    order_id: str,
    kind: ClaimKind,
    ask: ClaimAsk | None,
    text: str,
    key: str | None,
) -> JSONResponse:
    app = request.app.state
    row = await visible_order(request, order_id)
    prefix = "msg" if kind is ClaimKind.QUESTION else "clm"
    claim_id = _claim_id(prefix, order_id, key)
    if ask is not None:
        await _known_evidence(request, "order", order_id, ask)
    stored = await claims.insert_claim(
        app.pool,
        claim_id=claim_id,
        order_id=order_id,
        subscription_id=None,
        kind=kind.value,
        description=text,
        evidence=[e.model_dump(mode="json") for e in ask.evidence] if ask else [],
        request_hash=body_hash(ask) if ask else hashlib.sha256(text.encode()).hexdigest(),
    )
    structlog.contextvars.bind_contextvars(claim_id=claim_id)
    filed = ClaimFiled(
        claim_id=claim_id,
        kind=kind,
        sku=ask.sku if ask else None,
        evidence_kinds=tuple(e.kind.value for e in ask.evidence) if ask else (),
        has_invoice=True,  # the order is the purchase invoice
        store_mediation=ask.store_mediation if ask else False,
    )
    started = None
    if row["status"] != "completed" and kind is not ClaimKind.QUESTION:
        try:
            started = await run_update(
                request,
                order_id,
                UPDATE_OPEN_CLAIM,
                filed,
                ClaimStarted,
                id=f"claim:{claim_id}",
                refused_status=422,
            )
        except Problem as problem:
            if problem.status != 503:
                await claims.forget_refused(app.pool, claim_id)
            raise
    if started is None:  # a question, or the order's workflow has ended
        try:
            started = await _standalone_of_order(request, row, filed, stored["created_at"])
        except Problem:
            await claims.forget_refused(app.pool, claim_id)
            raise
    log.info("claim filed", kind=kind.value)
    return _created(started, "order", order_id)


async def _standalone_of_order(
    request: Request, row: dict[str, Any], filed: ClaimFiled, now: datetime
) -> ClaimStarted:
    policy = Policy.model_validate(row["policy"])
    timeline = await orders.list_events(request.app.state.pool, row["order_id"])
    delivered = next((e["at"] for e in timeline if e["status"] == "delivered"), None)
    paid = any(e["kind"] == "paid" for e in timeline)
    if not paid:
        raise _refused(f"the order is {row['status']}: nothing was bought yet", (), "order")
    filing = Filing(
        kind=filed.kind,
        purchased_at=row["created_at"],
        delivered_at=delivered,
        model=filed.sku,
        evidence=filed.evidence_kinds,
        has_invoice=True,
        store_mediation=filed.store_mediation,
    )
    opening = _decided(policy, filing, datetime.now(UTC))
    answer = opening.answer_by
    claim = ClaimInput(
        claim_id=filed.claim_id,
        kind=filed.kind,
        policy=policy,
        order_id=row["order_id"],
        sku=filed.sku,
        purchased_at=row["created_at"],
        delivered_at=delivered,
        opened_at=now,
        answer_by=answer.at if answer else None,
        answer_clauses=answer.clauses if answer else (),
        clauses=opening.decision.clauses,
        warranty=opening.warranty,
        destination_country=row["shipping_address"].get("country"),
    )
    await _start_alone(request, claim)
    return ClaimStarted(
        claim_id=filed.claim_id,
        kind=filed.kind,
        status=ClaimStatus.OPEN,
        answer_by=claim.answer_by,
        clauses=claim.clauses,
        warranty=claim.warranty,
    )


@router.post("/v1/orders/{order_id}/claims", status_code=201)
async def file_claim(
    order_id: str, body: ClaimAsk, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """A claim: non-delivery, not as described, shipping damage, dead on arrival, warranty.
    Decided at once: 201, or 422 with the clause and the field."""
    return await _file_on_order(
        request, order_id, ClaimKind(body.kind), body, body.description, idempotency_key
    )


@router.post("/v1/orders/{order_id}/messages", status_code=201)
async def ask_question(
    order_id: str, body: MessageAsk, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """A customer's question: a task answered by a person within the policy's time."""
    return await _file_on_order(
        request, order_id, ClaimKind.QUESTION, None, body.text, idempotency_key
    )


async def _last_charge(request: Request, row: dict[str, Any]) -> SubscriptionSnapshot:
    handle: WorkflowHandle[Any, Any] = request.app.state.temporal.get_workflow_handle(
        subscription_workflow_id(row["subscription_id"])
    )
    try:
        return await handle.query(QUERY_SUBSCRIPTION, result_type=SubscriptionSnapshot)
    except Exception as err:  # noqa: BLE001 - an ended or unreachable subscription
        raise Problem(
            503,
            "Try again shortly",
            "the subscription did not answer; nothing was filed",
            headers={"Retry-After": "5"},
        ) from err


async def _file_on_subscription(
    request: Request,
    subscription_id: str,
    kind: ClaimKind,
    ask: ClaimAsk | None,
    text: str,
    key: str | None,
) -> JSONResponse:
    app = request.app.state
    row = await visible_subscription(request, subscription_id)
    policy = Policy.model_validate(row["policy"])
    if ask is not None:
        await _known_evidence(request, "subscription", subscription_id, ask)
    snapshot = await _last_charge(request, row)
    last = snapshot.last_payment
    if last is None and kind is not ClaimKind.QUESTION:
        raise _refused("nothing was paid for this subscription yet", (), "subscription")
    filing = Filing(
        kind=kind,
        purchased_at=last.paid_at if last else row["created_at"],
        evidence=tuple(e.kind.value for e in ask.evidence) if ask else (),
    )
    now = datetime.now(UTC)
    opening = _decided(policy, filing, now)
    prefix = "msg" if kind is ClaimKind.QUESTION else "clm"
    claim_id = _claim_id(prefix, subscription_id, key)
    stored = await claims.insert_claim(
        app.pool,
        claim_id=claim_id,
        order_id=None,
        subscription_id=subscription_id,
        kind=kind.value,
        description=text,
        evidence=[e.model_dump(mode="json") for e in ask.evidence] if ask else [],
        request_hash=body_hash(ask) if ask else hashlib.sha256(text.encode()).hexdigest(),
    )
    answer = opening.answer_by
    charge = (
        ChargeToRefund(
            subscription_id=subscription_id,
            payment_id=last.payment_id,
            amount=last.amount,
            idempotency_key=f"{subscription_id}:refund:period:{last.period}",
        )
        if last
        else None
    )
    claim = ClaimInput(
        claim_id=claim_id,
        kind=kind,
        policy=policy,
        subscription_id=subscription_id,
        purchased_at=filing.purchased_at,
        opened_at=stored["created_at"],
        answer_by=answer.at if answer else None,
        answer_clauses=answer.clauses if answer else (),
        clauses=opening.decision.clauses,
        charge=charge,
        goods=False,
    )
    structlog.contextvars.bind_contextvars(claim_id=claim_id)
    await _start_alone(request, claim)
    log.info("claim filed", kind=kind.value)
    started = ClaimStarted(
        claim_id=claim_id,
        kind=kind,
        status=ClaimStatus.OPEN,
        answer_by=claim.answer_by,
        clauses=claim.clauses,
    )
    return _created(started, "subscription", subscription_id)


@router.post("/v1/subscriptions/{subscription_id}/claims", status_code=201)
async def file_subscription_claim(
    subscription_id: str, body: ClaimAsk, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Not delivered (SVC-CLM-1), not as described (SVC-CLM-2), or unhappy (SVC-REF-1)."""
    return await _file_on_subscription(
        request, subscription_id, ClaimKind(body.kind), body, body.description, idempotency_key
    )


@router.post("/v1/subscriptions/{subscription_id}/messages", status_code=201)
async def ask_about_subscription(
    subscription_id: str, body: MessageAsk, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    return await _file_on_subscription(
        request, subscription_id, ClaimKind.QUESTION, None, body.text, idempotency_key
    )


async def visible_claim(request: Request, claim_id: str) -> dict[str, Any]:
    """The claim, for its order's or subscription's own token or the operator key; else 404."""
    row = await claims.get_claim(request.app.state.pool, claim_id)
    visible = (
        row is not None
        and row["status_seq"] > 0
        and (
            may_read(request, "order", row["order_id"])
            if row["order_id"]
            else may_read(request, "subscription", row["subscription_id"])
        )
    )
    if not visible:
        raise Problem(
            404, "Claim not found", "no claim with this ID is visible with the credentials given"
        )
    assert row is not None
    structlog.contextvars.bind_contextvars(
        claim_id=claim_id, order_id=row["order_id"], workflow_id=claim_workflow_id(claim_id)
    )
    return row


def claim_json(row: dict[str, Any], timeline: list[dict[str, Any]]) -> dict[str, Any]:
    snap = ClaimSnapshot.model_validate(row["snapshot"])
    return {
        "claim_id": row["claim_id"],
        "order_id": row["order_id"],
        "subscription_id": row["subscription_id"],
        "kind": row["kind"],
        "status": row["status"],
        "sku": snap.sku,
        "answer_by": snap.answer_by,
        "warranty": snap.warranty.model_dump(mode="json") if snap.warranty else None,
        "repair_due_at": snap.repair_due_at,
        "spare_part_wait_days": snap.spare_part_wait_days,
        "quote": money_json(snap.quote.amount, snap.quote.currency) if snap.quote else None,
        "quote_paid": snap.quote_paid,
        "outcome": snap.outcome,
        "refunded": money_json(snap.refunded.amount, snap.refunded.currency)
        if snap.refunded
        else None,
        "answer": row["answer"] if row["status"] == ClaimStatus.ANSWERED.value else None,
        "evidence": row["evidence"],
        "deadlines": row["deadlines"],
        "escalated": list(snap.escalated),
        "timeline": [{k: v for k, v in e.items() if k != "claim_id"} for e in timeline],
    }


@router.get("/v1/claims/{claim_id}")
async def get_claim(claim_id: str, request: Request) -> dict[str, Any]:
    row = await visible_claim(request, claim_id)
    return claim_json(row, await claims.events(request.app.state.pool, claim_id))


async def act_on_claim(
    request: Request,
    row: dict[str, Any],
    name: str,
    arg: Any,
    key: str | None,
    result_type: type = ClaimSnapshot,
) -> Any:
    """Run one of the claim workflow's updates; a refusal is a 409 with the clause."""
    done = await run_update(
        request,
        row["order_id"] or row["subscription_id"],
        name,
        arg,
        result_type,
        id=f"{name}:{key}" if key else None,
        workflow_id=claim_workflow_id(row["claim_id"]),
    )
    if done is None:
        raise Problem(409, "Claim closed", f"the claim is {row['status']}: it has ended")
    return done


@router.post("/v1/claims/{claim_id}/quote")
async def answer_quote(
    claim_id: str, body: QuoteAnswer, request: Request, idempotency_key: IdempotencyKey = None
) -> dict[str, Any]:
    """Accept (and pay, with a card token) or decline an out-of-warranty quote (PAR-WAR-2)."""
    row = await visible_claim(request, claim_id)
    outcome: QuoteOutcome = await act_on_claim(
        request, row, UPDATE_ANSWER_QUOTE, body, idempotency_key, QuoteOutcome
    )
    amount: Money = outcome.amount
    return {
        "claim_id": claim_id,
        "paid": outcome.paid,
        "status": outcome.status.value,
        "amount": money_json(amount.amount, amount.currency),
        "decline_code": outcome.decline_code,
    }


@router.post("/v1/subscriptions/{subscription_id}/evidence", status_code=201)
async def upload_subscription_evidence(subscription_id: str, request: Request) -> dict[str, Any]:
    """A screenshot or document for a subscription's claim, as the raw body with its
    Content-Type; kept in the evidence store, never in Temporal."""
    await visible_subscription(request, subscription_id)
    return await keep_evidence(request, subscription_id=subscription_id)
