"""imalent (seed 000): payments, fraud, dispatch, tracking, delivery, edits, customs."""

from __future__ import annotations

from datetime import timedelta

from domain.decisions.changes import OrderFacts, cancellation, edit_window
from domain.decisions.fraud import ScreeningFacts, screen_for_fraud
from domain.decisions.fulfilment import (
    choose_carrier,
    customs_notice,
    delivery_estimate,
    dispatch_slot,
    pickup_at,
    reshipping_fee,
    reshipping_payable,
    returned_to_sender,
    tracking_email_deadline,
    unclaimed_parcel_refund,
)
from domain.decisions.payment import (
    coupons,
    invoice_expiry,
    payment_method,
    payment_retry,
    requires_3ds,
)
from domain.decisions.quote import quote_order
from domain.policy import Carrier, PaymentMethod
from tests.domain.helpers import line, local, money, preset, utc

IMA = preset("imalent")


def test_imalent_accepts_paypal_card_and_invoice_and_prefers_paypal() -> None:
    """IMA-PAY-1"""
    for method in PaymentMethod:
        decision = payment_method(IMA, method)
        assert decision.allowed and decision.clauses == ("IMA-PAY-1",)
    assert IMA.payment.methods.preferred is PaymentMethod.PAYPAL
    refused = payment_method(preset("services"), PaymentMethod.INVOICE)
    assert not refused.allowed and "card" in refused.reason


def test_imalent_card_payments_need_3ds_and_may_be_retried_three_times() -> None:
    """IMA-PAY-2"""
    assert requires_3ds(IMA, PaymentMethod.CARD).allowed
    assert not requires_3ds(IMA, PaymentMethod.PAYPAL).allowed
    assert [payment_retry(IMA, n).allowed for n in range(5)] == [True, True, True, False, False]
    assert payment_retry(IMA, 3).clauses == ("IMA-PAY-2",)


def test_imalent_e_invoice_ships_after_payment_and_expires() -> None:
    """IMA-PAY-3"""
    sent = utc(2026, 3, 2, 10)
    deadline = invoice_expiry(IMA, sent)
    assert deadline.at == sent + timedelta(days=7) and deadline.clauses == ("IMA-PAY-3",)
    assert IMA.payment.invoice is not None and IMA.payment.invoice.ships_after_payment


def test_imalent_takes_one_coupon_per_order() -> None:
    """IMA-PAY-4"""
    assert coupons(IMA, ["SPRING"]).allowed
    second = coupons(IMA, ["SPRING", "VIP"])
    assert not second.allowed and second.clauses == ("IMA-PAY-4",)


def test_imalent_fraud_review_is_case_by_case_with_invoice_fallback() -> None:
    """IMA-FRD-1: below the threshold and consistent: no review; large and mismatched: an
    operator decides, and may require the e-invoice or refund the card for one."""
    calm = screen_for_fraud(
        IMA,
        ScreeningFacts(total=money("499.99", "USD"), billing_country="FR", shipping_country="FR"),
    )
    assert not calm.review and calm.score == 0
    risky = screen_for_fraud(
        IMA,
        ScreeningFacts(total=money("500.00", "USD"), billing_country="FR", shipping_country="NG"),
    )
    assert risky.review and risky.score >= IMA.payment.fraud.review_score  # type: ignore[union-attr]
    assert risky.may_require_invoice
    assert risky.clauses == ("IMA-FRD-1",)


def test_imalent_shipping_is_free() -> None:
    """IMA-SHP-1"""
    quote = quote_order(IMA, [line(price="89.90", quantity=2)])
    assert quote.shipping.amount == 0 and str(quote.total) == "179.80 USD"
    assert quote.clauses == ("IMA-SHP-1",)


def test_imalent_paid_monday_morning_ships_the_same_day() -> None:
    """IMA-SHP-2: paid before the cut-off, the order leaves that day at the cut-off, not at
    the instant of payment; the carrier collects it then."""
    paid = local(IMA, 2026, 3, 2, 10, 0)  # Monday
    slot = dispatch_slot(IMA, paid)
    assert slot.at == local(IMA, 2026, 3, 2, 16, 0) and slot.clauses == ("IMA-SHP-2",)
    pickup = pickup_at(IMA, slot.at)
    assert pickup.at == slot.at and pickup.clauses == ("IMA-SHP-2",)


def test_imalent_paid_friday_after_the_cutoff_ships_monday() -> None:
    """IMA-SHP-2"""
    slot = dispatch_slot(IMA, local(IMA, 2026, 3, 6, 16, 0))  # Friday, at the cut-off
    assert slot.at == local(IMA, 2026, 3, 9, 16, 0)
    assert dispatch_slot(IMA, local(IMA, 2026, 3, 6, 15, 59)).at == local(IMA, 2026, 3, 6, 16, 0)


def test_imalent_paid_the_day_before_national_day_ships_after_the_holidays() -> None:
    """IMA-SHP-2: 1-7 October 2026 are public holidays in China (4 October a Sunday)."""
    slot = dispatch_slot(IMA, local(IMA, 2026, 9, 30, 17, 0))
    assert slot.at == local(IMA, 2026, 10, 8, 16, 0)


def test_imalent_paid_on_saturday_leaves_at_mondays_cutoff() -> None:
    """IMA-SHP-2"""
    assert dispatch_slot(IMA, local(IMA, 2026, 3, 7, 11, 0)).at == local(IMA, 2026, 3, 9, 16, 0)
    assert dispatch_slot(IMA, local(IMA, 2026, 3, 3, 7, 30)).at == local(IMA, 2026, 3, 3, 16, 0)


def test_imalent_tracking_number_is_emailed_within_3_days() -> None:
    """IMA-SHP-3"""
    shipped = utc(2026, 3, 2, 12)
    deadline = tracking_email_deadline(IMA, shipped)
    assert deadline is not None and deadline.at == shipped + timedelta(days=3)
    assert deadline.clauses == ("IMA-SHP-3",)


def test_imalent_ships_with_dhl_post_fedex_or_airmail() -> None:
    """IMA-SHP-4"""
    assert set(IMA.shipping.carriers.carriers) == set(Carrier)  # type: ignore[union-attr]
    assert choose_carrier(IMA, "FR") == (Carrier.DHL, ("IMA-SHP-4",))
    assert choose_carrier(IMA, "CN")[0] is Carrier.POST


def test_imalent_delivery_is_expected_5_to_12_business_days_after_dispatch() -> None:
    """IMA-SHP-5: dispatched Monday 2 March 2026 in Shanghai."""
    estimate = delivery_estimate(IMA, local(IMA, 2026, 3, 2, 11, 0))
    assert estimate is not None and estimate.clauses == ("IMA-SHP-5",)
    assert estimate.earliest == local(IMA, 2026, 3, 9, 11, 0)
    assert estimate.latest == local(IMA, 2026, 3, 18, 11, 0)


def test_imalent_address_edit_at_22h59_is_accepted_and_at_23h01_refused() -> None:
    """IMA-EDT-1"""
    paid = utc(2026, 3, 2, 10)
    facts = OrderFacts(lines=[line()], shipping_paid=money("0", "USD"), paid_at=paid)
    accepted = edit_window(IMA, facts, paid + timedelta(hours=22, minutes=59))
    assert accepted.allowed and accepted.deadlines["edit_window_closes_at"] == paid + timedelta(
        hours=23
    )
    refused = edit_window(IMA, facts, paid + timedelta(hours=23, minutes=1))
    assert not refused.allowed and refused.clauses == ("IMA-EDT-1",)


def test_imalent_edit_window_closes_when_fulfilment_starts() -> None:
    """IMA-EDT-1: the window closes early once the order is handed to fulfilment."""
    paid = utc(2026, 3, 2, 10)
    facts = OrderFacts(
        lines=[line()],
        shipping_paid=money("0", "USD"),
        paid_at=paid,
        fulfilment_started_at=paid + timedelta(hours=2),
    )
    assert not edit_window(IMA, facts, paid + timedelta(hours=3)).allowed
    assert edit_window(IMA, facts, paid + timedelta(hours=1)).allowed
    assert not cancellation(IMA, facts, paid + timedelta(hours=3)).decision.allowed


def test_imalent_parcel_back_for_bad_address_is_reshipped_at_customer_cost() -> None:
    """IMA-EDT-2"""
    back = utc(2026, 3, 20, 8)
    decision = returned_to_sender(IMA, back)
    assert decision.allowed and "customer's cost" in decision.reason
    assert decision.deadlines["pay_reshipping_by"] == back + timedelta(days=14)
    assert decision.clauses == ("IMA-EDT-2",)


def test_imalent_unclaimed_parcel_is_refunded_less_the_round_trip() -> None:
    """IMA-EDT-2"""
    assert str(reshipping_fee(IMA)) == "25.00 USD"
    refund, decision = unclaimed_parcel_refund(IMA, money("39.80", "USD"))
    assert str(refund) == "14.80 USD" and decision.clauses == ("IMA-EDT-2",)
    nothing, _ = unclaimed_parcel_refund(IMA, money("20.00", "USD"))
    assert nothing.amount == 0  # never below zero
    free, _ = unclaimed_parcel_refund(preset("kwoking"), money("20.00", "EUR"))
    assert str(free) == "20.00 EUR"  # no reshipping rule: nothing is kept


def test_imalent_international_orders_carry_the_customs_notice() -> None:
    """IMA-CUS-1"""
    notice = customs_notice(IMA, "FR")
    assert notice.allowed and "the customer" in notice.reason and notice.clauses == ("IMA-CUS-1",)
    assert not customs_notice(IMA, "CN").allowed


def test_imalent_reshipping_may_be_paid_until_its_deadline_only() -> None:
    """IMA-EDT-2"""
    back = utc(2026, 3, 20, 8)
    pay_by = back + timedelta(days=14)
    assert reshipping_payable(IMA, pay_by, pay_by - timedelta(minutes=1)).allowed
    late = reshipping_payable(IMA, pay_by, pay_by)
    assert not late.allowed and late.clauses == ("IMA-EDT-2",)
    none = reshipping_payable(IMA, None, back)
    assert not none.allowed and "no returned parcel" in none.reason
