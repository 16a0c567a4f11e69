"""A provider payment only moves forward, whatever order its webhooks arrive in (LIF-3)."""

from __future__ import annotations

from datetime import timedelta

from domain.decisions.fraud import fraud_verdict
from domain.decisions.payment import (
    action_window,
    known_after_the_order,
    payment_progress,
    retry_window,
    reversal_cancellation,
)
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


def test_imalent_3ds_window_is_its_own_and_a_shop_without_card_rules_gets_the_defaults() -> None:
    """IMA-PAY-2"""
    assert action_window(preset("imalent")) == timedelta(minutes=30)
    assert retry_window(preset("imalent")) == timedelta(hours=24)
    no_card = preset("imalent").model_copy(
        update={"payment": preset("imalent").payment.model_copy(update={"card": None})}
    )
    assert action_window(no_card) == timedelta(minutes=30)
    assert retry_window(no_card) == timedelta(hours=24)


def test_a_reversal_cancels_an_order_not_yet_shipped_only() -> None:
    """IMA-PAY-1, LIF-3: the provider's reversal webhook cancels an order before dispatch."""
    policy = preset("imalent")
    before = reversal_cancellation(policy, shipped=False)
    assert before is not None and not before.refund.amount
    assert before.decision.clauses == ("IMA-PAY-1",)
    assert reversal_cancellation(policy, shipped=True) is None


def test_a_late_event_for_an_ended_order_is_news_only_when_the_ledger_lacks_it() -> None:
    """LIF-3: a provider's repeat after the order ended is kept for the record; a payment
    the ledger never saw, or a reversal, goes to operators."""
    assert known_after_the_order("payment.authorized", {"authorized", "captured"})
    assert known_after_the_order("payment.authorized", {"refunded"})  # older than the refund
    assert known_after_the_order("payment.failed", {"declined"})
    assert known_after_the_order("payment.captured", {"captured"})
    assert not known_after_the_order("payment.captured", {"authorized"})  # captured elsewhere
    assert not known_after_the_order("payment.reversed", {"captured"})
    assert not known_after_the_order("payment.authorized", set())  # a payment it never saw
    assert not known_after_the_order("payment.disputed", {"captured"})  # unknown to orderflow
    assert not known_after_the_order("payment.authorized", {"pending"})
