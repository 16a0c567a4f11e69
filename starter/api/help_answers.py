"""The help centre's answers for one order (KWO-FAQ-1), read from the order's read model and
its pinned policy and put in the customer's language: what `GET /v1/orders/{id}/help` returns
and the order page shows."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from domain.decisions.help import HelpFacts, ParcelFact, help_answers
from domain.policy import Policy
from domain.status import OrderStatus
from messages import phrase
from messages.phrases import ORDER_STATUS, PARCEL_STATUS
from store import ledger


def declined(event: dict[str, Any]) -> str:
    """A failed attempt's decline code: in its details, or (recorded before they held it)
    the end of its summary, `payment attempt 1 failed: card_declined`."""
    code = (event.get("details") or {}).get("decline_code")
    return str(code or event["summary"].rpartition(": ")[2])


def facts_of(row: dict[str, Any], timeline: list[dict[str, Any]], refunded: Decimal) -> HelpFacts:
    """What the answers need, from the order's read model."""
    failed = [e for e in timeline if e["kind"] == "payment_failed"]
    deadlines = row["deadlines"] or {}

    def at(name: str) -> datetime | None:
        value = deadlines.get(name)
        return datetime.fromisoformat(str(value)) if value else None

    return HelpFacts(
        status=OrderStatus(row["status"]),
        parcels=tuple(
            ParcelFact(
                tracking_number=s["tracking_number"],
                carrier=s.get("carrier"),
                status=s.get("status") or "label_created",
            )
            for s in row["shipments"]
            if s.get("tracking_number") and not s.get("voided")
        ),
        edit_window_closes_at=at("edit_window_closes_at"),
        decline_code=declined(failed[-1]) if failed and row["status"] == "payment_failed" else None,
        attempts=len(failed),
        refunded=refunded,
        currency=row["currency"],
        destination_country=(row["shipping_address"] or {}).get("country", ""),
        coupons=len(row["coupons"] or []),
    )


async def answered(
    pool: Any, row: dict[str, Any], timeline: list[dict[str, Any]], language: str
) -> list[dict[str, Any]]:
    """The merchant's help topics answered for the order `row` (with its `timeline`), in
    `language`: what the endpoint returns and the order page shows."""
    refunded = await ledger.refunded(pool, row["order_id"])
    facts = facts_of(row, timeline, refunded)
    facts = facts.model_copy(
        update={
            "parcels": tuple(
                p.model_copy(
                    update={"status": phrase(language, PARCEL_STATUS.get(p.status, p.status))}
                )
                for p in facts.parcels
            )
        }
    )
    topics = []
    for answer in help_answers(Policy.model_validate(row["policy"]), facts, datetime.now(UTC)):
        values = dict(answer.values)
        if "status" in values:
            values["status"] = phrase(
                language, ORDER_STATUS.get(values["status"], values["status"])
            )
        if "payer" in values:
            values["payer"] = phrase(language, values["payer"])
        topics.append(
            {
                "topic": answer.topic,
                "question": phrase(language, answer.question),
                "answer": " ".join(phrase(language, s, **values) for s in answer.sentences),
                "clauses": list(answer.clauses),
            }
        )
    return topics
