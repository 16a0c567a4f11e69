"""The help centre's questions answered from one order's own state and its pinned policy
(KWO-FAQ-1): where it is, whether it may still change, why its parcels and payments are as
they are, when and how much comes back. Each answer is an English text with its values (the
API translates it as the order page does) and the clauses it rests on."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from domain.decisions import merged
from domain.policy import Policy
from domain.status import OrderStatus


def N_(text: str) -> str:
    """Marks a text for the message catalogs (translated by the API, not here)."""
    return text


class ParcelFact(BaseModel):
    tracking_number: str
    carrier: str | None = None
    status: str = "label_created"


class HelpFacts(BaseModel):
    """What the order's read model knows, as the answers need it."""

    status: OrderStatus
    parcels: tuple[ParcelFact, ...] = ()
    edit_window_closes_at: datetime | None = None
    decline_code: str | None = None
    attempts: int = 0
    refunded: Decimal = Decimal(0)
    currency: str
    destination_country: str
    coupons: int = 0


class HelpAnswer(BaseModel):
    model_config = ConfigDict(frozen=True)

    topic: str
    question: str
    sentences: tuple[str, ...]  # English, each with `%(name)s` values, translated one by one
    values: dict[str, str] = {}
    clauses: tuple[str, ...] = ()


# An answer's sentences, the values they name, and the clauses it rests on.
Said = tuple[tuple[str, ...], dict[str, str], tuple[str, ...]]

# The question each topic answers (English; translated by the catalogs).
QUESTIONS = {
    "where_is_my_order": N_("Where is my order?"),
    "edit_or_cancel": N_("Can I change or cancel my order, and until when?"),
    "split_parcels": N_("Why did my order come in several parcels?"),
    "tracking_not_updated": N_("Why is my tracking not updated, or not valid?"),
    "customs_refusal": N_("What if my parcel is held or refused at customs?"),
    "refund_timing_and_amount": N_("When and how much will I be refunded, and why not in full?"),
    "declined_payment": N_("Why was my payment declined?"),
    "payment_verification": N_("Why must I verify my payment?"),
    "one_coupon_at_a_time": N_("Can I use more than one coupon?"),
}


def _where(policy: Policy, facts: HelpFacts, now: datetime) -> Said:
    if not facts.parcels:
        return (
            (N_("Your order is %(status)s; no parcel has left yet."),),
            {"status": facts.status},
            (),
        )
    parcels = ", ".join(
        f"{p.tracking_number} ({p.carrier or '-'}): {p.status}" for p in facts.parcels
    )
    carriers = policy.shipping.carriers.clauses if policy.shipping else ()
    return (
        (N_("Your order is %(status)s. Parcels: %(parcels)s."),),
        {"status": facts.status, "parcels": parcels},
        carriers,
    )


def _edit_or_cancel(policy: Policy, facts: HelpFacts, now: datetime) -> Said:
    edit = policy.edit.clauses if policy.edit else ()
    cancel = policy.cancellation.until_clauses if policy.cancellation else ()
    if facts.status.is_final:
        return (
            (N_("Your order is %(status)s: there is nothing left to change or cancel."),),
            {"status": facts.status},
            (),
        )
    if not facts.status.before_shipment:
        return (
            (
                N_(
                    "Your order has left the warehouse: it can no longer be changed or cancelled. "
                    "Once it is delivered you may ask for a return."
                ),
            ),
            {},
            cancel,
        )
    if facts.edit_window_closes_at and facts.edit_window_closes_at > now:
        return (
            (
                N_(
                    "You can change the shipping address until %(until)s, and cancel the order until "
                    "it leaves the warehouse."
                ),
            ),
            {"until": facts.edit_window_closes_at.isoformat(timespec="minutes")},
            merged(edit, cancel),
        )
    return (
        (
            N_(
                "The shipping address can no longer be changed; you can cancel the order until it "
                "leaves the warehouse."
            ),
        ),
        {},
        merged(edit, cancel),
    )


def _split(policy: Policy, facts: HelpFacts, now: datetime) -> Said:
    if len(facts.parcels) > 1:
        text = N_(
            "Your order travels in %(count)s parcels: lines that cannot travel together (by "
            "size, stock or kind) leave in parcels of their own, each with its tracking number."
        )
        return (text,), {"count": str(len(facts.parcels))}, ()
    return (N_("Your order travels in one parcel."),), {}, ()


def _tracking(policy: Policy, facts: HelpFacts, now: datetime) -> Said:
    rules = policy.shipping
    days = str(max(1, rules.carriers.poll_after.days)) if rules else "1"
    clauses = rules.tracking.clauses if rules and rules.tracking else ()
    return (
        (
            N_(
                "A tracking number becomes valid at the carrier's first scan, and a parcel in transit "
                "may stay without a scan for a while. When a parcel has had no scan for %(days)s "
                "day(s), we ask the carrier ourselves; a parcel that stays lost is reshipped or "
                "refunded."
            ),
        ),
        {"days": days},
        clauses,
    )


def _customs(policy: Policy, facts: HelpFacts, now: datetime) -> Said:
    rule = policy.shipping.customs if policy.shipping else None
    if rule is None or rule.origin_country == facts.destination_country:
        return (
            (
                N_(
                    "Your delivery crosses no customs border we know of. If your parcel is held at "
                    "customs all the same, write to us: a person answers."
                ),
            ),
            {},
            (),
        )
    payer = "you" if rule.duties_paid_by == "customer" else "us"
    return (
        (
            N_(
                "International deliveries may owe customs duties and taxes, paid by %(payer)s. If "
                "your parcel is held or refused at customs, write to us: we talk it through with you "
                "before anything is sent back."
            ),
        ),
        {"payer": payer},
        rule.clauses,
    )


def _refunds(policy: Policy, facts: HelpFacts, now: datetime) -> Said:
    returns = policy.returns
    route = policy.payment.refunds
    parts = [N_("Refunded so far: %(refunded)s.")]
    values = {"refunded": f"{facts.refunded:.2f} {facts.currency}"}
    clauses: tuple[str, ...] = ()
    if returns is not None:
        parts.append(
            N_(
                "A return is refunded to the original payment method once the item is "
                "received and inspected."
            )
        )
        if returns.refund.within is not None:
            parts.append(N_("It is paid within %(days)s day(s) of the inspection."))
            values["days"] = str(max(1, returns.refund.within.days))
        if not returns.refund.includes_shipping:
            parts.append(N_("Shipping is refunded only when the fault was ours."))
        clauses = merged(
            returns.refund.clauses, returns.inspection.clauses if returns.inspection else ()
        )
    if route is not None and route.bank_fees_borne_by_customer:
        parts.append(N_("Intermediary and bank fees are yours."))
        clauses = merged(clauses, route.clauses)
    return tuple(parts), values, clauses


def _declined(policy: Policy, facts: HelpFacts, now: datetime) -> Said:
    card = policy.payment.card
    clauses = card.clauses if card else ()
    if facts.decline_code is None:
        return (N_("No payment of this order was declined."),), {}, clauses
    left = max(0, (card.max_attempts if card else 1) - facts.attempts)
    return (
        (
            N_(
                "Your last payment was declined (%(code)s). Check your card's balance and that it "
                "may pay abroad and online, then try again: %(left)s attempt(s) left."
            ),
        ),
        {"code": facts.decline_code, "left": str(left)},
        clauses,
    )


def _verification(policy: Policy, facts: HelpFacts, now: datetime) -> Said:
    card = policy.payment.card
    fraud = policy.payment.fraud
    parts: list[str] = []
    clauses: tuple[str, ...] = ()
    if card is not None and card.requires_3ds:
        parts.append(
            N_(
                "Card payments are confirmed with 3-D Secure: your bank asks you to approve "
                "the payment, so that nobody else pays with your card."
            )
        )
        clauses = card.clauses
    if fraud is not None:
        parts.append(N_("Some orders are reviewed by a person before they leave."))
        clauses = merged(clauses, fraud.clauses)
    if not parts:
        parts.append(N_("Your payment needs no verification beyond your payment provider's own."))
    return tuple(parts), {}, clauses


def _coupons(policy: Policy, facts: HelpFacts, now: datetime) -> Said:
    rule = policy.payment.coupons
    if rule is None:
        return (N_("This shop sets no limit on coupons."),), {}, ()
    return (
        (N_("At most %(count)s coupon(s) per order; this order uses %(used)s."),),
        {"count": str(rule.max_per_order), "used": str(facts.coupons)},
        rule.clauses,
    )


ANSWERS = {
    "where_is_my_order": _where,
    "edit_or_cancel": _edit_or_cancel,
    "split_parcels": _split,
    "tracking_not_updated": _tracking,
    "customs_refusal": _customs,
    "refund_timing_and_amount": _refunds,
    "declined_payment": _declined,
    "payment_verification": _verification,
    "one_coupon_at_a_time": _coupons,
}


def help_answers(policy: Policy, facts: HelpFacts, now: datetime) -> tuple[HelpAnswer, ...]:
    """Every topic of the merchant's help centre, answered for this order; none when the
    merchant lists no help topics."""
    topics = policy.help.topics if policy.help else ()
    help_clauses = policy.help.clauses if policy.help else ()
    answers = []
    for topic in topics:
        answer = ANSWERS.get(topic)
        if answer is None:
            continue
        sentences, values, clauses = answer(policy, facts, now)
        answers.append(
            HelpAnswer(
                topic=topic,
                question=QUESTIONS[topic],
                sentences=sentences,
                values=values,
                clauses=merged(help_clauses, clauses),
            )
        )
    return tuple(answers)
