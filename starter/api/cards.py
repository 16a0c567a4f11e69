"""Digital gift cards over HTTP: the customer's report of a faulty card, the operators'
verification of a large purchase and verdict on a report, and the cards as the order shows
them (codes to the order's own token only, exactly as issued)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, StringConstraints

from activities.cards import card_codes
from domain.decisions.aftercare import card_code_matches
from domain.decisions.digital import faulty_card_report
from domain.digital import (
    CARD_ID,
    CardStatus,
    DigitalCard,
    FaultyCardAnswer,
    FaultyCardReport,
)
from domain.money import Money
from domain.policy import Policy
from starter.api import deps
from starter.api.access import visible_order
from starter.api.routing import AnswerRoute
from starter.auth import CUSTOMER_OR_OPERATOR
from starter.openapi import problems
from starter.problems import Problem
from starter.schemas.orders import CardReport
from starter.updates import IdempotencyKey, no_longer, run_update, update_id
from starter.views import card_answer_json, digital_clauses
from store import cards
from workflows.names import (
    UPDATE_REPORT_FAULTY_CARD,
)

router = APIRouter(route_class=AnswerRoute, tags=["digital cards"])


class CardReportIn(BaseModel):
    """What the customer tried: the code as they entered it (compared here, never passed on)."""

    model_config = ConfigDict(extra="forbid")

    code_tried: Annotated[str, StringConstraints(max_length=100)] | None = None


@router.post(
    "/v1/orders/{order_id}/digital-cards/{card_id}/report",
    status_code=201,
    response_model=CardReport,
    responses=problems(409, 503),
    dependencies=CUSTOMER_OR_OPERATOR,
)
async def report_faulty_card(
    order_id: str,
    card_id: Annotated[str, Path(pattern=CARD_ID)],
    request: Request,
    body: CardReportIn | None = None,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """The card does not work: taken for review with the date support answers by
    (CRD-DIG-7), or 422 naming the clause (used: CRD-DIG-8; expired: CRD-DIG-6; a code
    entered otherwise than issued: CRD-DIG-5)."""
    row = await visible_order(request, order_id)
    if body is not None and body.code_tried is not None:
        await _same_code(request, row, card_id, body.code_tried)
    report = FaultyCardReport(card_id=card_id)
    done = await run_update(
        request,
        order_id,
        UPDATE_REPORT_FAULTY_CARD,
        report,
        FaultyCardAnswer,
        id=update_id(f"card-report:{card_id}", idempotency_key),
        refused_status=422,
    )
    if done is None:
        raise await _ended_report(request, row, card_id)
    return card_answer_json(order_id, done)


async def _same_code(request: Request, row: dict[str, Any], card_id: str, tried: str) -> None:
    """A code that does not work because it was entered otherwise than issued (case
    included) is no fault of the card: the answer says how to enter it."""
    issued = (
        await card_codes(deps.pool(request), deps.sealer(request), row["order_id"], [card_id])
    ).get(card_id)
    if issued is None:
        return  # the workflow answers for a card it does not know
    decision = card_code_matches(Policy.model_validate(row["policy"]), tried, issued)
    if not decision.allowed:
        raise Problem(
            422,
            "Refused by the merchant's policy",
            f"{decision.reason}: enter it exactly as shown on the order",
            clause=decision.clauses[0] if decision.clauses else None,
            field="code_tried",
        )


async def _ended_report(request: Request, row: dict[str, Any], card_id: str) -> Problem:
    """A report on an order that has ended (every card used or expired): decided from the
    card as it was kept, so the refusal names the clause that ends it (CRD-DIG-8, -6)."""
    policy = Policy.model_validate(row["policy"])
    kept = next(
        (
            c
            for c in await cards.of_order(deps.pool(request), row["order_id"])
            if c["card_id"] == card_id
        ),
        None,
    )
    if policy.digital is None:
        return Problem(404, "Card not found", f"{policy.display_name} sells no gift cards")
    card = (
        DigitalCard(
            card_id=card_id,
            line=kept["line"],
            unit=kept["unit"],
            sku=kept["sku"],
            value=Money(amount=kept["amount"], currency=kept["currency"]),
            status=CardStatus(kept["status"]),
            issued_at=kept["issued_at"],
            expires_at=kept["expires_at"] or kept["issued_at"],
            redeemed_at=kept["redeemed_at"],
        )
        if kept
        else None
    )
    decision, _ = faulty_card_report(policy, card, datetime.now(UTC))
    if decision.allowed:
        return no_longer(row, digital_clauses(row), "reported")
    clause = decision.clauses[0] if decision.clauses else None
    return Problem(
        422, "Refused by the merchant's policy", decision.reason, clause=clause, field="card_id"
    )
