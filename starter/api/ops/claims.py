"""The operators' side of claims and questions: one as operators see it, the decision on a
claim, the answer to a question, and a warranty's product received, inspected, waiting for
spare parts and repaired."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request
from pydantic import BaseModel, ConfigDict, StringConstraints

from domain.claims import (
    Answered,
    ClaimSnapshot,
    ClaimVerdict,
    ProductReceived,
    RepairDone,
    SparePartWait,
    WarrantyInspection,
)
from domain.orders import Operator
from starter.api.access import visible_claim
from starter.api.deps import PoolDep
from starter.auth import operator_router
from starter.problems import Problem
from starter.schemas.returns import ClaimAnswer
from starter.updates import IdempotencyKey, act_on_claim
from starter.views import claim_json
from store import claims
from workflows import names

router = operator_router(400, 409, 503)


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operator: Operator = ""
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


@router.get("/claims/{claim_id}", response_model=ClaimAnswer)
async def claim_for_operator(claim_id: str, request: Request, pool: PoolDep) -> dict[str, Any]:
    """The claim with the customer's own words, for the operator deciding it."""
    row = await visible_claim(request, claim_id)
    return {
        **claim_json(row, await claims.events(pool, claim_id)),
        "description": row["description"],
        "answer": row["answer"],
    }


@router.post("/claims/{claim_id}/decision", response_model=ClaimSnapshot)
async def decide_claim(
    claim_id: str, body: ClaimVerdict, request: Request, idempotency_key: IdempotencyKey = None
) -> dict[str, Any]:
    """Refund, replace, reship, a solution case by case (SVC-REF-1), or refuse; a claim
    resting only on expectations is refused with `expectation_only` (SVC-CLM-2)."""
    row = await visible_claim(request, claim_id)
    done = await act_on_claim(request, row, names.UPDATE_DECIDE_CLAIM, body, idempotency_key)
    return done.model_dump(mode="json")


@router.post("/claims/{claim_id}/answer", response_model=ClaimSnapshot)
async def answer_question(
    claim_id: str, body: AnswerIn, request: Request, pool: PoolDep
) -> dict[str, Any]:
    """Answer a customer's question: the text is kept in PostgreSQL and e-mailed."""
    row = await visible_claim(request, claim_id)
    if row["kind"] != "question":
        raise Problem(409, "Not a question", "a claim is decided, not answered")
    await claims.set_answer(pool, claim_id, body.text)
    done = await act_on_claim(
        request, row, names.UPDATE_ANSWER_QUESTION, Answered(operator=body.operator), "answer"
    )
    return done.model_dump(mode="json")


@router.post("/claims/{claim_id}/received", response_model=ClaimSnapshot)
async def receive_product(claim_id: str, body: ProductReceived, request: Request) -> dict[str, Any]:
    row = await visible_claim(request, claim_id)
    done = await act_on_claim(request, row, names.UPDATE_RECEIVE_CLAIM_PRODUCT, body, "received")
    return done.model_dump(mode="json")


@router.post("/claims/{claim_id}/inspection", response_model=ClaimSnapshot)
async def inspect_product(
    claim_id: str, body: WarrantyInspection, request: Request
) -> dict[str, Any]:
    """What the workshop found: void conditions (PAR-WAR-3), the fault, the quote."""
    row = await visible_claim(request, claim_id)
    done = await act_on_claim(request, row, names.UPDATE_INSPECT_WARRANTY, body, "inspection")
    return done.model_dump(mode="json")


@router.post("/claims/{claim_id}/spare-part-wait", response_model=ClaimSnapshot)
async def spare_part_wait(
    claim_id: str, body: SparePartWait, request: Request, idempotency_key: IdempotencyKey = None
) -> dict[str, Any]:
    """Days waiting for spare parts: the repair's limit moves by them (CRD-WAR-3)."""
    row = await visible_claim(request, claim_id)
    done = await act_on_claim(request, row, names.UPDATE_SPARE_PART_WAIT, body, idempotency_key)
    return done.model_dump(mode="json")


@router.post("/claims/{claim_id}/repaired", response_model=ClaimSnapshot)
async def repaired(claim_id: str, body: RepairDone, request: Request) -> dict[str, Any]:
    row = await visible_claim(request, claim_id)
    done = await act_on_claim(request, row, names.UPDATE_FINISH_REPAIR, body, "repaired")
    return done.model_dump(mode="json")
