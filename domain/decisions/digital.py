"""Digital gift cards after payment: which lines they are, when a card is due, whether a
faulty-card report is taken, and what an operator's verdict on one gives."""

from __future__ import annotations

from datetime import datetime

from domain.decisions import Decision, allow, merged, refuse
from domain.decisions.aftercare import digital_card_expiry, support_deadline
from domain.digital import CardStatus, DigitalCard, FaultyCardVerdict
from domain.orders import OrderLine
from domain.policy import Policy


def card_units(lines: list[OrderLine]) -> list[tuple[int, int, OrderLine]]:
    """One card per unit of every digital line: (line index, unit number, line)."""
    return [
        (index, unit, line)
        for index, line in enumerate(lines)
        if line.is_digital
        for unit in range(1, line.quantity + 1)
    ]


def faulty_card_report(
    policy: Policy, card: DigitalCard | None, now: datetime
) -> tuple[Decision, datetime | None]:
    """Whether a report that a card does not work is taken for review, and by when support
    answers it. A card used after the purchase, or expired unused, gets nothing; an open or
    decided report is not opened twice."""
    rules = policy.digital
    if rules is None:
        raise ValueError(f"{policy.merchant} sells no digital cards")
    faulty = rules.no_returns_unless_faulty.clauses
    if card is None:
        return refuse("no card with this ID was issued for the order", *faulty), None
    if card.status in (CardStatus.REPLACED, CardStatus.REFUNDED) or card.report is not None:
        return refuse("this card was already reported", *faulty), None
    if card.redeemed_at is not None:
        return refuse(
            f"the card was used on {card.redeemed_at.isoformat()}, after the purchase: "
            "no compensation",
            *rules.used_after_purchase_no_compensation.clauses,
        ), None
    expiry = digital_card_expiry(policy, card.issued_at)
    if card.status is CardStatus.EXPIRED or now > expiry.at:
        return refuse("the card expired unused: no refund", *expiry.clauses), None
    answer = support_deadline(policy, now, topic="faulty_digital_card")
    clauses = merged(faulty, answer.clauses if answer else ())
    due = answer.at if answer else None
    return allow("the report is reviewed by support", *clauses), due


def faulty_card_verdict(policy: Policy, verdict: FaultyCardVerdict) -> Decision:
    """Replaced or refunded when the fault is the company's; otherwise the card stays the
    buyer's (a wrong purchase is the buyer's responsibility)."""
    rules = policy.digital
    if rules is None:
        raise ValueError(f"{policy.merchant} sells no digital cards")
    clauses = rules.no_returns_unless_faulty.clauses
    if verdict is FaultyCardVerdict.REFUSE:
        return refuse("not faulty on the company's side: the card stays the buyer's", *clauses)
    done = "replaced" if verdict is FaultyCardVerdict.REPLACE else "refunded"
    return allow(f"faulty on the company's side: {done}", *clauses)
