"""The read model as the API shows it, shared by the routers that show it: amounts, and a
return with its parcel, refund and timeline (on its own and within its order)."""

from __future__ import annotations

from typing import Any

from domain.claims import (
    ClaimSnapshot,
)
from domain.digital import (
    FaultyCardAnswer,
)
from domain.money import Money
from domain.policy import Policy
from domain.returns import ReturnSnapshot
from domain.status import ClaimStatus


def money_json(value: Any, currency: str) -> dict[str, str]:
    """An amount as the API shows it: a decimal string in the currency's minor unit."""
    money = Money(amount=value, currency=currency)
    return {"amount": str(money.amount), "currency": money.currency}


def return_json(row: dict[str, Any], timeline: list[dict[str, Any]]) -> dict[str, Any]:
    snap = ReturnSnapshot.model_validate(row["snapshot"])
    breakdown = snap.breakdown
    return {
        "rma_id": snap.rma_id,
        "order_id": snap.order_id,
        "status": row["status"],
        "reason": snap.reason.value,
        "resolution": snap.resolution.value,
        "lines": [line.model_dump(mode="json") for line in snap.lines],
        "approved_by": snap.approved_by,
        "parcel": {
            "carrier": snap.carrier.value if snap.carrier else None,
            "tracking_number": snap.tracking_number,
            "seller_label": snap.label_id is not None,
            "received_at": snap.received_at,
        },
        "deadlines": row["deadlines"],
        "refund": None
        if breakdown is None
        else {
            "lines": [
                {
                    "label": line.label,
                    **money_json(line.amount.amount, line.amount.currency),
                    "clauses": line.clauses,
                }
                for line in breakdown.lines
            ],
            "total": money_json(breakdown.total.amount, breakdown.total.currency),
            "refunded": money_json(snap.refunded.amount, snap.refunded.currency)
            if snap.refunded
            else None,
            "pay_by": breakdown.pay_by,
            "clauses": breakdown.clauses,
        },
        "replacement_tracking_number": snap.replacement_tracking_number,
        "evidence": row["evidence"],
        "timeline": [e for e in timeline if e["rma_id"] == snap.rma_id],
    }


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


def digital_clauses(row: dict[str, Any]) -> tuple[str, ...]:
    digital = Policy.model_validate(row["policy"]).digital
    return digital.no_returns_unless_faulty.clauses if digital else ()


def card_answer_json(order_id: str, done: FaultyCardAnswer) -> dict[str, Any]:
    return {
        "order_id": order_id,
        **done.model_dump(mode="json", exclude_none=True),
    }
