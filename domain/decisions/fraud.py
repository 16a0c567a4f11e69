"""Fraud decisions: an order's screening score, the verdicts an operator may give on a held
order, and what stands in for a verdict when the card's authorisation is about to lapse
(IMA-FRD-1, CRD-DIG-2)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from domain.decisions import Decision, allow, refuse
from domain.money import Money
from domain.orders import FraudVerdict
from domain.policy import Policy


class ScreeningFacts(BaseModel):
    total: Money
    billing_country: str
    shipping_country: str
    card_country: str | None = None
    orders_by_customer_today: int = 0


class Screening(BaseModel):
    model_config = ConfigDict(frozen=True)

    score: int
    review: bool
    signals: tuple[str, ...]
    may_require_invoice: bool
    clauses: tuple[str, ...]


def screen_for_fraud(policy: Policy, facts: ScreeningFacts) -> Screening:
    """Score an order; at or above the policy's score an operator decides, case by case."""
    rule = policy.payment.fraud
    if rule is None:
        return Screening(
            score=0,
            review=False,
            signals=(),
            may_require_invoice=False,
            clauses=(),
        )
    signals: dict[str, int] = {}
    if facts.total.amount >= rule.amount_threshold:
        signals["amount_at_or_above_threshold"] = 40
    if facts.billing_country != facts.shipping_country:
        signals["billing_shipping_country_mismatch"] = 30
    if facts.card_country and facts.card_country != facts.billing_country:
        signals["card_country_mismatch"] = 20
    if facts.orders_by_customer_today >= rule.max_orders_per_customer_per_day:
        signals["order_velocity"] = 30
    score = min(sum(signals.values()), 100)
    return Screening(
        score=score,
        review=score >= rule.review_score,
        signals=tuple(signals),
        may_require_invoice=rule.may_require_invoice,
        clauses=rule.clauses,
    )


def fraud_verdict(policy: Policy, verdict: str) -> Decision:
    """Whether an operator's verdict on a held order is one this merchant's policy allows."""
    rule = policy.payment.fraud
    clauses = rule.clauses if rule else ()
    if verdict == "require_invoice":
        if rule is None or not rule.may_require_invoice or policy.payment.invoice is None:
            return refuse(f"{policy.display_name} does not ask for an e-invoice instead", *clauses)
        return allow("the card is released and an e-invoice is sent instead", *clauses)
    if verdict == "reject":
        return allow("the order is refused after review", *clauses)
    return allow("the order is accepted after review", *clauses)


# A held authorisation is let go this long before its provider would let it lapse: time for
# the void and the customer's e-mail whatever the workers' backlog.
AUTHORIZATION_MARGIN = timedelta(hours=6)


class LapseAction(BaseModel):
    """What an order held for review does when its card's authorisation is about to lapse."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    verdict: FraudVerdict
    clauses: tuple[str, ...]


def before_authorization_lapses(policy: Policy, lapses_at: datetime | None) -> LapseAction | None:
    """A review still open when the card's authorisation is about to lapse stops holding it:
    the customer is asked to pay by e-invoice where the policy may require one, else the
    order is refused, its authorisation released (IMA-FRD-1). None when nothing lapses."""
    rule = policy.payment.fraud
    if lapses_at is None or rule is None:
        return None
    invoice = fraud_verdict(policy, FraudVerdict.REQUIRE_INVOICE.value).allowed
    verdict = FraudVerdict.REQUIRE_INVOICE if invoice else FraudVerdict.REJECT
    return LapseAction(at=lapses_at - AUTHORIZATION_MARGIN, verdict=verdict, clauses=rule.clauses)
