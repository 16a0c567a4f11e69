"""A provider payment only moves forward, whatever order its webhooks arrive in (LIF-3)."""

from __future__ import annotations

from domain.decisions.payment import fraud_verdict, payment_progress
from tests.domain.helpers import preset


def test_payment_events_only_move_a_payment_forward() -> None:
    """LIF-3"""
    assert payment_progress(None, "payment.requires_action") == "requires_action"
    assert payment_progress("requires_action", "payment.authorized") == "authorized"
    assert payment_progress("authorized", "payment.authorized") is None  # a repeat
    assert payment_progress("captured", "payment.authorized") is None  # late, older
    assert payment_progress("authorized", "payment.captured") == "captured"
    assert payment_progress("captured", "payment.reversed") == "reversed"
    assert payment_progress(None, "refund.succeeded") is None  # nothing to move


def test_imalent_may_ask_for_an_e_invoice_after_review_and_cardnet_may_not() -> None:
    """IMA-FRD-1, CRD-DIG-2"""
    imalent = fraud_verdict(preset("imalent"), "require_invoice")
    assert imalent.allowed and imalent.clauses == ("IMA-FRD-1",)
    cardnet = fraud_verdict(preset("cardnet"), "require_invoice")
    assert not cardnet.allowed and cardnet.clauses == ("CRD-DIG-2",)
    assert fraud_verdict(preset("cardnet"), "reject").allowed
