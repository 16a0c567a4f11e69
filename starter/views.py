"""The read model as the API shows it, shared by the routers that show it: amounts, and a
return with its parcel, refund and timeline (on its own and within its order)."""

from __future__ import annotations

from typing import Any

from domain.money import Money
from domain.returns import ReturnSnapshot


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
