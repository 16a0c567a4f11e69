"""Claims and customers' questions over HTTP: following one (`GET /v1/claims/{id}`), the
customer's answer to a quote, and the pieces that filing them on orders and subscriptions
(`starter/claim_filing.py`) and the operators' endpoints (`starter/tasks.py`) share."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.claims import (
    ClaimAsk,
    ClaimInput,
    ClaimSnapshot,
    ClaimStarted,
    QuoteAnswer,
    QuoteOutcome,
)
from domain.decisions.claims import ClaimOpening, Filing, open_claim
from domain.money import Money
from domain.policy import Policy
from domain.policy.aftercare import ClaimKind
from domain.status import ClaimStatus
from starter.auth import CUSTOMER_OR_OPERATOR, may_read
from starter.openapi import problems
from starter.orders import body_hash, refused_at_intake
from starter.problems import Problem, limit_reached
from starter.schemas import AnswerRoute
from starter.schemas.returns import ClaimAnswer, QuoteAnswered
from starter.updates import IdempotencyKey, run_update
from starter.views import money_json
from store import claims, credentials, evidence
from workflows.names import UPDATE_ANSWER_QUOTE, claim_workflow_id

router = APIRouter(route_class=AnswerRoute, dependencies=CUSTOMER_OR_OPERATOR, tags=["claims"])


def decided(policy: Policy, filing: Filing, now: Any) -> ClaimOpening:
    """The policy's decision on a claim filed: taken, or the 422 with its clause and field."""
    opening = open_claim(policy, filing, now)
    if not opening.decision.allowed:
        raise refused_at_intake(
            "Refused by the merchant's policy", opening.decision, opening.field or "kind"
        )
    return opening


async def keep_claim(
    request: Request,
    *,
    owner: str,
    owner_id: str,
    kind: ClaimKind,
    ask: ClaimAsk | None,
    text: str,
    key: str | None,
) -> dict[str, Any]:
    """Store what the customer filed (their words and files stay in PostgreSQL) once under its
    ID, which comes from the client's Idempotency-Key so that a repeated request is the same
    claim; its files must be the order's or the subscription's own."""
    pool = request.app.state.pool
    if ask is not None:
        ids = [e.evidence_id for e in ask.evidence]
        unknown = set(ids) - await evidence.of_owner(pool, owner, owner_id, ids)
        if unknown:
            raise Problem(
                422,
                "Unknown evidence",
                f"not files of this {owner}: " + ", ".join(sorted(unknown)),
                field="evidence",
            )
    prefix = "msg" if kind is ClaimKind.QUESTION else "clm"
    claim_id = (
        f"{prefix}_{secrets.token_hex(8)}"
        if key is None
        else f"{prefix}_" + hashlib.sha256(f"{owner_id}:{prefix}:{key}".encode()).hexdigest()[:16]
    )
    structlog.contextvars.bind_contextvars(claim_id=claim_id)
    settings = request.app.state.settings
    final = [status.value for status in ClaimStatus if status.is_final]
    if not await claims.exists(pool, claim_id) and (
        await claims.open_count(pool, owner=owner, owner_id=owner_id, final=final)
        >= settings.claims_max_open
    ):
        raise limit_reached(
            f"open claims and questions per {owner}", settings.claims_max_open, "claims_max_open"
        )
    return await claims.insert_claim(
        pool,
        claim_id=claim_id,
        order_id=owner_id if owner == "order" else None,
        subscription_id=owner_id if owner == "subscription" else None,
        kind=kind.value,
        description=text,
        evidence=[e.model_dump(mode="json") for e in ask.evidence] if ask else [],
        request_hash=body_hash(ask) if ask else hashlib.sha256(text.encode()).hexdigest(),
    )


def created(started: ClaimStarted, owner: str, owner_id: str) -> JSONResponse:
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


async def start_alone(request: Request, claim: ClaimInput) -> None:
    """A claim with no running order to be the child of: its own workflow, started once."""
    app = request.app.state
    owner = f"order {claim.order_id}" if claim.order_id else f"subscription {claim.subscription_id}"
    try:
        await app.temporal.start_workflow(
            "ClaimWorkflow",
            claim,
            id=claim_workflow_id(claim.claim_id),
            task_queue=app.settings.temporal_task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=f"Claim {claim.claim_id} of {owner} · {claim.kind.value}",
        )
    except WorkflowAlreadyStartedError:
        pass  # the same request again


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


@router.get("/v1/claims/{claim_id}", response_model=ClaimAnswer)
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


@router.post(
    "/v1/claims/{claim_id}/quote", response_model=QuoteAnswered, responses=problems(409, 503)
)
async def answer_quote(
    claim_id: str, body: QuoteAnswer, request: Request, idempotency_key: IdempotencyKey = None
) -> dict[str, Any]:
    """Accept (and pay, with a card token) or decline an out-of-warranty quote (PAR-WAR-2)."""
    row = await visible_claim(request, claim_id)
    if body.payment_token and row["order_id"]:
        app = request.app.state
        ref = await credentials.keep(app.pool, app.sealer, row["order_id"], body.payment_token)
        body = body.model_copy(update={"payment_token": ref})
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
