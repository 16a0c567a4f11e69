"""Requests as they come in: new IDs, what tells a repeated request from another under one
Idempotency-Key, the refusal of an order or claim at intake, and a claim kept before its
workflow starts (as a child of its order, or on its own)."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any

import structlog
from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.claims import (
    ClaimAsk,
    ClaimInput,
    ClaimStarted,
)
from domain.decisions import Decision
from domain.decisions.claims import ClaimOpening, Filing, open_claim
from domain.decisions.routing import Routing
from domain.policy import Policy
from domain.policy.aftercare import ClaimKind
from domain.status import ClaimStatus
from starter.api import deps
from starter.problems import Problem, limit_reached
from store import claims, evidence
from workflows.names import claim_workflow_id


def new_id() -> str:
    """An order's or a subscription's ID: time-ordered and unguessable, 11 hex digits of
    milliseconds and 10 of randomness."""
    return f"{int(time.time() * 1000):011x}{secrets.token_hex(5)}"


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


def refused_at_intake(title: str, decided: Decision | Routing, field: str) -> Problem:
    """The 422 for an order the merchant's policy refuses at placement: the field and the
    clause that decided it."""
    clause = decided.clauses[0] if decided.clauses else None
    return Problem(422, title, decided.reason, field=field, clause=clause)


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
    pool = deps.pool(request)
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
    settings = deps.settings(request)
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


async def created(
    request: Request, started: ClaimStarted, owner: str, owner_id: str, sku: str | None = None
) -> JSONResponse:
    """The 201 of a claim taken, readable at once at the address it names."""
    claim_id = started.claim_id
    ids = {"order_id": owner_id} if owner == "order" else {"subscription_id": owner_id}
    snapshot = started.snapshot(ids.get("order_id"), ids.get("subscription_id"), sku)
    await claims.accepted(
        deps.pool(request), claim_id, started.status.value, snapshot.model_dump(mode="json")
    )
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
    owner = f"order {claim.order_id}" if claim.order_id else f"subscription {claim.subscription_id}"
    try:
        await deps.temporal(request).start_workflow(
            "ClaimWorkflow",
            claim,
            id=claim_workflow_id(claim.claim_id),
            task_queue=deps.settings(request).temporal_task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=f"Claim {claim.claim_id} of {owner} · {claim.kind.value}",
        )
    except WorkflowAlreadyStartedError:
        pass  # the same request again
