"""cardnet (seed 002): returns and exchanges, warranty, digital gift cards."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from domain.decisions.aftercare import (
    ClaimFacts,
    WarrantyFacts,
    card_code_matches,
    claim,
    digital_card_expiry,
    digital_delivery,
    repair_deadline,
    support_deadline,
    warranty,
)
from domain.decisions.changes import OrderFacts, cancellation, edit_window
from domain.decisions.digital import faulty_card_report, faulty_card_verdict
from domain.decisions.fraud import ScreeningFacts, before_authorization_lapses, screen_for_fraud
from domain.decisions.payment import ownership_refund
from domain.decisions.return_lines import exchange_out_of_stock
from domain.decisions.return_refunds import InspectionFacts, refund_breakdown
from domain.decisions.returns import (
    ReturnedItem,
    ReturnRequest,
    return_eligibility,
)
from domain.digital import DigitalCard, FaultyCardVerdict
from domain.orders import FraudVerdict
from domain.policy.aftercare import ClaimKind
from domain.policy.returns import ReturnReason
from tests.domain.helpers import inspected_items, line, local, money, preset, utc

CRD = preset("cardnet")
BOUGHT = utc(2026, 3, 1, 9)
ITEM = ReturnedItem(sku="PHONE", unit_price=Decimal("1000.00"))


def request(
    reason: ReturnReason = ReturnReason.CHANGE_OF_MIND, delivered_days: int = 2, **changes: object
) -> ReturnRequest:
    base = ReturnRequest(
        reason=reason,
        items=[ITEM],
        purchased_at=BOUGHT,
        delivered_at=BOUGHT + timedelta(days=delivered_days),
    )
    return base.model_copy(update=changes)


def gift_card(issued_at: datetime = BOUGHT) -> DigitalCard:
    """A cardnet gift card as the issuer gave it, never used."""
    return DigitalCard(
        card_id="card_1",
        line=0,
        unit=0,
        sku="GIFT50",
        value=money("50", CRD.currency),
        issued_at=issued_at,
        expires_at=digital_card_expiry(CRD, issued_at).at,
    )


def test_cardnet_no_return_without_the_original_invoice() -> None:
    """CRD-RET-1"""
    outcome = return_eligibility(
        CRD, request(has_original_invoice=False), BOUGHT + timedelta(days=3)
    )
    assert not outcome.decision.allowed and "invoice" in outcome.decision.reason
    assert "CRD-RET-1" in outcome.decision.clauses


def test_cardnet_return_in_time_until_day_14_after_purchase() -> None:
    """CRD-RET-2: delivered on day 2, so 14 days from purchase ends later than 7 from receipt."""
    assert return_eligibility(CRD, request(), BOUGHT + timedelta(days=14)).decision.allowed
    late = return_eligibility(CRD, request(), BOUGHT + timedelta(days=14, minutes=1))
    assert not late.decision.allowed and "CRD-RET-2" in late.decision.clauses


def test_cardnet_return_window_is_whichever_ends_later() -> None:
    """CRD-RET-2 reading: delivered on day 10, 7 days from receipt (day 17) ends later."""
    outcome = return_eligibility(CRD, request(delivered_days=10), BOUGHT + timedelta(days=16))
    assert outcome.decision.allowed and outcome.window_closes_at == BOUGHT + timedelta(days=17)


def test_cardnet_returns_must_be_unopened_and_unused() -> None:
    """CRD-RET-2"""
    opened = request(items=[ITEM.model_copy(update={"opened": True})])
    outcome = return_eligibility(CRD, opened, BOUGHT + timedelta(days=3))
    assert not outcome.decision.allowed and "opened" in outcome.decision.reason


def test_cardnet_refund_only_after_receipt_and_inspection() -> None:
    """CRD-RET-3"""
    outcome = return_eligibility(CRD, request(), BOUGHT + timedelta(days=3))
    assert outcome.inspection and "CRD-RET-3" in outcome.decision.clauses
    failed = refund_breakdown(
        CRD,
        InspectionFacts(
            reason=ReturnReason.CHANGE_OF_MIND,
            items=inspected_items(ITEM, acceptable=False),
            shipping_refundable=money("25", "SAR"),
            refundable=money("1025", "SAR"),
            inspected_at=BOUGHT + timedelta(days=8),
        ),
    )
    assert failed.total.amount == 0 and "CRD-RET-3" in failed.clauses


def test_cardnet_customer_ships_returns_to_jeddah_at_own_cost_unless_defective() -> None:
    """CRD-RET-4"""
    own = return_eligibility(CRD, request(), BOUGHT + timedelta(days=3))
    assert own.return_shipping_paid_by == "customer" and "CRD-RET-4" in own.decision.clauses
    defect = return_eligibility(CRD, request(ReturnReason.DEFECTIVE), BOUGHT + timedelta(days=3))
    assert defect.return_shipping_paid_by == "merchant"


def test_cardnet_out_of_stock_exchange_offers_another_product() -> None:
    """CRD-RET-5"""
    decision = exchange_out_of_stock(CRD)
    assert decision.allowed and "another product" in decision.reason
    assert decision.clauses == ("CRD-RET-5", "CRD-RET-6")


def test_cardnet_opened_products_are_exchanged_only_for_a_proven_defect() -> None:
    """CRD-RET-6"""
    opened = [ITEM.model_copy(update={"opened": True})]
    now = BOUGHT + timedelta(days=3)
    refused = return_eligibility(
        CRD, request(items=opened, exchange=True, has_original_invoice=True), now
    )
    assert not refused.decision.allowed
    defect = return_eligibility(
        CRD, request(ReturnReason.DEFECTIVE, items=opened, exchange=True), now
    )
    assert defect.decision.allowed
    wet = [ITEM.model_copy(update={"opened": True, "damage_cause": "water_damage"})]
    soaked = return_eligibility(CRD, request(ReturnReason.DEFECTIVE, items=wet, exchange=True), now)
    assert not soaked.decision.allowed and "water damage" in soaked.decision.reason


def test_cardnet_refund_covers_the_price_only_and_is_paid_within_14_days() -> None:
    """CRD-RET-7"""
    inspected = BOUGHT + timedelta(days=8)
    breakdown = refund_breakdown(
        CRD,
        InspectionFacts(
            reason=ReturnReason.CHANGE_OF_MIND,
            items=inspected_items(ITEM),
            shipping_refundable=money("25", "SAR"),
            refundable=money("1025", "SAR"),
            inspected_at=inspected,
        ),
    )
    assert str(breakdown.total) == "1000.00 SAR"
    assert [line.label for line in breakdown.lines] == ["item PHONE x 1"]
    assert breakdown.pay_by == inspected + timedelta(days=14)


def test_cardnet_warranty_goes_through_the_authorised_agent_on_the_invoice() -> None:
    """CRD-WAR-1"""
    facts = WarrantyFacts(model="X1", purchased_at=BOUGHT)
    covered = warranty(CRD, facts, BOUGHT + timedelta(days=200))
    assert covered.decision.allowed and "authorised agent" in covered.decision.reason
    no_invoice = warranty(CRD, facts.model_copy(update={"has_invoice": False}), BOUGHT)
    assert not no_invoice.decision.allowed and "CRD-WAR-1" in no_invoice.decision.clauses


def test_cardnet_store_mediated_warranty_ships_at_the_customers_cost() -> None:
    """CRD-WAR-2"""
    outcome = warranty(
        CRD,
        WarrantyFacts(model="X1", purchased_at=BOUGHT, store_mediation=True),
        BOUGHT + timedelta(days=30),
    )
    assert outcome.customer_pays_shipping and set(outcome.remedies) == {"repair", "replace"}
    assert "CRD-WAR-2" in outcome.decision.clauses


def test_cardnet_repair_takes_14_days_with_holidays_and_spare_part_waits_added() -> None:
    """CRD-WAR-3 (reading: calendar days, weekends count): received Monday 18 May 2026 in
    Jeddah; Arafah and Eid al-Adha (26 to 29 and 31 May) add five days: 6 June, not 1 June;
    a 3-day wait for parts adds three more."""
    received = local(CRD, 2026, 5, 18, 10, 0)
    assert repair_deadline(CRD, received).at == local(CRD, 2026, 6, 6, 10, 0)
    with_parts = repair_deadline(CRD, received, spare_part_wait_days=3)
    assert with_parts.at == local(CRD, 2026, 6, 9, 10, 0) and with_parts.clauses == ("CRD-WAR-3",)
    quiet = local(CRD, 2026, 10, 5, 9, 0)  # no holiday in the next 14 days: weekends count
    assert repair_deadline(CRD, quiet).at == local(CRD, 2026, 10, 19, 9, 0)


def test_cardnet_exchange_within_7_days_of_receipt_international_pays_all_shipping() -> None:
    """CRD-EXC-1: delivered on day 12: day 19 in time, day 19 and a minute late."""
    in_time = return_eligibility(
        CRD,
        request(delivered_days=12, exchange=True, international=True),
        BOUGHT + timedelta(days=19),
    )
    assert in_time.decision.allowed and in_time.customer_pays_all_shipping
    assert "CRD-EXC-1" in in_time.decision.clauses
    late = return_eligibility(
        CRD, request(delivered_days=12, exchange=True), BOUGHT + timedelta(days=19, minutes=1)
    )
    assert not late.decision.allowed


def test_cardnet_custom_made_books_and_software_are_not_returned() -> None:
    """CRD-EXC-2"""
    now = BOUGHT + timedelta(days=3)
    custom = [ITEM.model_copy(update={"category": "custom_made"})]
    refused = return_eligibility(CRD, request(items=custom), now)
    assert not refused.decision.allowed and refused.decision.clauses == ("CRD-EXC-2",)
    mismatch = return_eligibility(CRD, request(ReturnReason.NOT_AS_DESCRIBED, items=custom), now)
    assert mismatch.decision.allowed
    book = [ITEM.model_copy(update={"category": "books"})]
    assert not return_eligibility(
        CRD, request(ReturnReason.DEFECTIVE, items=book), now
    ).decision.allowed


def test_cardnet_rescission_within_7_days_of_receipt() -> None:
    """CRD-RTN-1: delivered on day 12, rescinded on day 19."""
    outcome = return_eligibility(CRD, request(delivered_days=12), BOUGHT + timedelta(days=19))
    assert outcome.decision.allowed and "CRD-RTN-1" in outcome.decision.clauses
    assert outcome.return_shipping_paid_by == "customer"


def test_cardnet_digital_card_under_500_sar_is_delivered_in_10_minutes() -> None:
    """CRD-DIG-1: 499.99 SAR at once; 500.00 SAR after verification, within 3 hours."""
    paid = BOUGHT
    small = digital_delivery(CRD, money("499.99", "SAR"), paid)
    assert small.deliver_by == paid + timedelta(minutes=10) and not small.verification_required
    large = digital_delivery(CRD, money("500.00", "SAR"), paid)
    assert large.deliver_by == paid + timedelta(hours=3) and large.verification_required
    assert large.clauses == ("CRD-DIG-1",)


def test_cardnet_unproven_card_ownership_deducts_the_gateway_commission() -> None:
    """CRD-DIG-2"""
    refund, decision = ownership_refund(CRD, money("1000.00", "SAR"), ownership_proven=False)
    assert str(refund) == "975.00 SAR" and decision.clauses == ("CRD-DIG-2",)
    full, _ = ownership_refund(CRD, money("1000.00", "SAR"), ownership_proven=True)
    assert str(full) == "1000.00 SAR"
    screening = screen_for_fraud(
        CRD,
        ScreeningFacts(
            total=money("500", "SAR"),
            billing_country="SA",
            shipping_country="SA",
            card_country="GB",
        ),
    )
    assert screening.review and screening.clauses == ("CRD-DIG-2",)


def test_cardnet_digital_orders_cannot_be_edited_or_cancelled() -> None:
    """CRD-DIG-3"""
    facts = OrderFacts(
        lines=[line(category="digital_card")], shipping_paid=money("0", "SAR"), paid_at=BOUGHT
    )
    edit = edit_window(CRD, facts, BOUGHT + timedelta(minutes=1))
    cancel = cancellation(CRD, facts, BOUGHT + timedelta(minutes=1))
    assert not edit.allowed and edit.clauses == ("CRD-DIG-3",)
    assert not cancel.decision.allowed and cancel.decision.clauses == ("CRD-DIG-3",)


def test_cardnet_delivered_digital_cards_are_not_returned_unless_faulty() -> None:
    """CRD-DIG-4"""
    card = ReturnedItem(sku="GIFT50", category="digital_card", unit_price=Decimal("50"))
    refused = return_eligibility(CRD, request(items=[card]), BOUGHT + timedelta(days=1))
    assert not refused.decision.allowed and refused.decision.clauses == ("CRD-DIG-4",)
    reported, _ = faulty_card_report(CRD, gift_card(), BOUGHT + timedelta(days=1))
    assert reported.allowed and "CRD-DIG-4" in reported.clauses
    faulty = faulty_card_verdict(CRD, FaultyCardVerdict.REPLACE)
    assert faulty.allowed and faulty.clauses == ("CRD-DIG-4",)
    wrong = faulty_card_verdict(CRD, FaultyCardVerdict.REFUSE)
    assert not wrong.allowed and "buyer's" in wrong.reason


def test_cardnet_card_codes_are_case_sensitive() -> None:
    """CRD-DIG-5"""
    assert card_code_matches(CRD, "AbC-123", "AbC-123").allowed
    refused = card_code_matches(CRD, "abc-123", "AbC-123")
    assert not refused.allowed and refused.clauses == ("CRD-DIG-5",)


def test_cardnet_digital_cards_expire_two_months_after_issue_unrefunded() -> None:
    """CRD-DIG-6: issued 31 December, the card expires on the last day of February."""
    issued = utc(2026, 12, 31, 12)
    expiry = digital_card_expiry(CRD, issued)
    assert expiry.at == utc(2027, 2, 28, 12) and expiry.clauses == ("CRD-DIG-6",)
    late, _ = faulty_card_report(CRD, gift_card(issued), expiry.at + timedelta(seconds=1))
    assert not late.allowed and "expired" in late.reason and late.clauses == ("CRD-DIG-6",)


def test_cardnet_faulty_card_support_answers_within_5_business_days() -> None:
    """CRD-DIG-7: asked Thursday 5 March 2026; Friday and Saturday are the weekend."""
    deadline = support_deadline(CRD, local(CRD, 2026, 3, 5, 12, 0), topic="faulty_digital_card")
    assert deadline is not None and deadline.at == local(CRD, 2026, 3, 12, 12, 0)
    accepted = claim(
        CRD, ClaimFacts(kind=ClaimKind.FAULTY_DIGITAL_CARD, purchased_at=BOUGHT), BOUGHT
    )
    assert accepted.allowed and "CRD-DIG-7" in accepted.clauses


def test_cardnet_card_used_after_purchase_gets_no_compensation() -> None:
    """CRD-DIG-8"""
    card = gift_card().model_copy(update={"redeemed_at": BOUGHT + timedelta(hours=1)})
    used, due = faulty_card_report(CRD, card, BOUGHT + timedelta(days=1))
    assert not used.allowed and used.clauses == ("CRD-DIG-8",) and due is None


def test_a_review_outlasting_the_authorisation_refuses_where_no_e_invoice_may_be_required() -> None:
    """CRD-DIG-2: cardnet issues no e-invoices, so a review still open when the card's
    authorisation is about to lapse refuses the order (its hold released); imalent may ask
    for an e-invoice instead (IMA-FRD-1). Nothing lapses, nothing is decided."""
    lapses = utc(2026, 12, 1, 12)
    cardnet = before_authorization_lapses(preset("cardnet"), lapses)
    assert cardnet is not None and cardnet.verdict is FraudVerdict.REJECT
    assert cardnet.at == lapses - timedelta(hours=6) and cardnet.clauses == ("CRD-DIG-2",)
    imalent = before_authorization_lapses(preset("imalent"), lapses)
    assert imalent is not None and imalent.verdict is FraudVerdict.REQUIRE_INVOICE
    assert before_authorization_lapses(preset("cardnet"), None) is None
    assert before_authorization_lapses(preset("kwoking"), lapses) is None  # no review there
