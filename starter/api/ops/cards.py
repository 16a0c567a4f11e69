"""The operators' side of gift cards: the verification of a large card purchase (CRD-DIG-1)
and support's verdict on a faulty-card report (CRD-DIG-4, CRD-DIG-7)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request
from pydantic import BaseModel, ConfigDict

from domain.digital import (
    CARD_ID,
    FaultyCardAnswer,
    FaultyCardDecision,
    FaultyCardVerdict,
    PurchaseVerification,
    VerificationOutcome,
)
from domain.orders import Note, Operator
from starter.api.access import visible_order
from starter.auth import operator_router
from starter.schemas.orders import CardReport, DigitalVerification
from starter.updates import IdempotencyKey, no_longer, run_update, update_id
from starter.views import card_answer_json, digital_clauses
from workflows.names import (
    UPDATE_RESOLVE_FAULTY_CARD,
    UPDATE_VERIFY_PURCHASE,
)

router = operator_router(409, 503)


class CardVerdictIn(BaseModel):
    """Support's verdict on a reported card, and who gave it."""

    model_config = ConfigDict(extra="forbid")

    verdict: FaultyCardVerdict
    operator: Operator = ""
    note: Note = ""


ops = operator_router(409, 503)


@router.post("/orders/{order_id}/digital-verification", response_model=DigitalVerification)
async def verify_purchase(
    order_id: str,
    body: PurchaseVerification,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Approve a large card purchase (its cards are then issued), or reject it as paid with
    a card not the buyer's own: cancelled and refunded as CRD-DIG-2 grants."""
    row = await visible_order(request, order_id)
    done = await run_update(
        request,
        order_id,
        UPDATE_VERIFY_PURCHASE,
        body,
        VerificationOutcome,
        id=update_id("verify", idempotency_key),
    )
    if done is None:
        raise no_longer(row, digital_clauses(row), "verified")
    return {"order_id": order_id, **done.model_dump(mode="json", exclude_none=True)}


@router.post("/orders/{order_id}/digital-cards/{card_id}/decision", response_model=CardReport)
async def decide_faulty_card(
    order_id: str,
    card_id: Annotated[str, Path(pattern=CARD_ID)],
    body: CardVerdictIn,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Support's answer to a faulty-card report: replace, refund, or refuse (no fault on the
    company's side)."""
    row = await visible_order(request, order_id)
    decision = FaultyCardDecision(card_id=card_id, **body.model_dump())
    done = await run_update(
        request,
        order_id,
        UPDATE_RESOLVE_FAULTY_CARD,
        decision,
        FaultyCardAnswer,
        id=update_id(f"card-decision:{card_id}", idempotency_key),
    )
    if done is None:
        raise no_longer(row, digital_clauses(row), "answered")
    return card_answer_json(order_id, done)
