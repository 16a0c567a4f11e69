"""The e-mails digital gift cards send. Codes arrive here from the sealed store, only for
the message being rendered, and are written exactly as issued."""

from __future__ import annotations

from typing import Any

from activities.return_emails import Render


def _cards(oid: str, facts: dict[str, Any]) -> tuple[str, str]:
    codes: dict[str, str] = facts["codes"]
    rows = "".join(
        f"  {card['sku']} ({card['value']}):  {codes[card['card_id']]}\n"
        f"    valid until {card['expires_at']}\n"
        for card in facts["cards"]
    )
    replacing = (
        "This card replaces the faulty one you reported.\n\n" if facts.get("replaces") else ""
    )
    return (
        f"Order {oid}: your gift card" + ("s" if len(facts["cards"]) > 1 else ""),
        f"{replacing}Your digital gift cards for order {oid}:\n\n{rows}\n"
        "Enter each code exactly as shown: codes are case-sensitive. A card expires two months "
        "after it was issued, and an expired card is not refunded. Digital cards cannot be "
        "cancelled, returned or exchanged unless faulty on our side.\n",
    )


def _verifying(oid: str, facts: dict[str, Any]) -> tuple[str, str]:
    return (
        f"Order {oid}: we are verifying your purchase",
        f"Your payment for order {oid} was received. For purchases of this amount we verify "
        f"the purchase information before the gift card codes are sent, by {facts['by']}.\n",
    )


def _report(oid: str, facts: dict[str, Any]) -> tuple[str, str]:
    return (
        f"Order {oid}: your report on gift card {facts['card_id']}",
        f"We received your report that gift card {facts['card_id']} does not work. Our "
        f"support answers by {facts['answer_by']}.\n",
    )


def _answer(oid: str, facts: dict[str, Any]) -> tuple[str, str]:
    verdict = facts["report"]
    text = {
        "replaced": "The card was faulty on our side: a new card replaces it (sent separately).",
        "refunded": f"The card was faulty on our side: we refunded {facts.get('refund')}.",
        "refused": "We found no fault on our side: the card works as issued and remains yours.",
    }[verdict]
    return (f"Order {oid}: gift card {facts['card_id']}", f"{text}\n")


TEMPLATES: dict[str, Render] = {
    "digital_cards": _cards,
    "digital_verification": _verifying,
    "faulty_card_received": _report,
    "faulty_card_answer": _answer,
}
