"""services (seed 001): intangible goods, claims, support, subscriptions."""

from __future__ import annotations

from datetime import timedelta

from domain.decisions.aftercare import (
    ClaimFacts,
    cancel_subscription,
    claim,
    support_deadline,
    unhappy_customer,
)
from domain.policy.aftercare import ClaimKind
from tests.domain.helpers import money, preset, utc

SVC = preset("services")
BOUGHT = utc(2026, 3, 2, 10)


def test_services_are_intangible_so_an_unhappy_customer_gets_a_case_by_case_solution() -> None:
    """SVC-GEN-1, SVC-REF-1: within 7 days an operator decides; after, nothing is returned."""
    within = unhappy_customer(SVC, BOUGHT, BOUGHT + timedelta(days=7))
    assert within.allowed and within.clauses == ("SVC-GEN-1", "SVC-REF-1")
    late = unhappy_customer(SVC, BOUGHT, BOUGHT + timedelta(days=7, minutes=1))
    assert not late.allowed and "intangible" in late.reason


def test_services_support_answers_within_48_hours_usually_24() -> None:
    """SVC-SUP-1"""
    deadline = support_deadline(SVC, BOUGHT)
    assert deadline is not None and deadline.at == BOUGHT + timedelta(hours=48)
    assert SVC.support[0].usually_within == timedelta(hours=24)
    assert deadline.clauses == ("SVC-SUP-1",)


def test_services_non_delivery_claim_in_writing_within_7_days() -> None:
    """SVC-CLM-1"""
    facts = ClaimFacts(kind=ClaimKind.NON_DELIVERY, purchased_at=BOUGHT)
    assert claim(SVC, facts, BOUGHT + timedelta(days=7)).allowed
    late = claim(SVC, facts, BOUGHT + timedelta(days=7, minutes=1))
    assert not late.allowed and late.clauses == ("SVC-CLM-1",)
    spoken = facts.model_copy(update={"in_writing": False})
    assert "in writing" in claim(SVC, spoken, BOUGHT + timedelta(days=1)).reason


def test_services_not_as_described_needs_evidence_and_more_than_expectations() -> None:
    """SVC-CLM-2"""
    facts = ClaimFacts(kind=ClaimKind.NOT_AS_DESCRIBED, purchased_at=BOUGHT, evidence=("document",))
    assert claim(SVC, facts, BOUGHT + timedelta(days=6)).allowed
    bare = claim(SVC, facts.model_copy(update={"evidence": ()}), BOUGHT + timedelta(days=6))
    assert not bare.allowed and "evidence" in bare.reason
    hoped = claim(SVC, facts.model_copy(update={"expectation_only": True}), BOUGHT)
    assert not hoped.allowed and hoped.clauses == ("SVC-CLM-2",)
    assert not claim(SVC, facts, BOUGHT + timedelta(days=8)).allowed


def test_services_subscription_cancelled_within_7_days_refunds_the_last_payment() -> None:
    """SVC-SUB-1: 6 days 23 hours after the last payment it is refunded, and (the reading)
    the refunded period stops at once even when the customer asked to keep it."""
    paid, cycle_end = BOUGHT, BOUGHT + timedelta(days=30)
    now = paid + timedelta(days=6, hours=23)
    outcome = cancel_subscription(SVC, money("29.00", "EUR"), paid, cycle_end, "end_of_cycle", now)
    # the reading: a refunded period is not kept, whatever the customer chose
    assert str(outcome.refund) == "29.00 EUR" and outcome.service_ends_at == now
    assert outcome.future_billing_cancelled and outcome.clauses == ("SVC-SUB-1",)


def test_services_subscription_cancelled_after_7_days_refunds_nothing_and_stops_billing() -> None:
    """SVC-SUB-1"""
    paid, cycle_end = BOUGHT, BOUGHT + timedelta(days=30)
    now = paid + timedelta(days=7, hours=1)
    outcome = cancel_subscription(SVC, money("29.00", "EUR"), paid, cycle_end, "immediately", now)
    assert outcome.refund.amount == 0 and outcome.service_ends_at == now
    assert outcome.future_billing_cancelled
