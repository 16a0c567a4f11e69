"""paralight (seed 003): support, warranty per model, RMA returns with inspection."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from domain.decisions.aftercare import ClaimFacts, WarrantyFacts, claim, support_deadline, warranty
from domain.decisions.return_refunds import InspectionFacts, refund_breakdown
from domain.decisions.returns import (
    ReturnedItem,
    ReturnRequest,
    return_eligibility,
)
from domain.decisions.rma import rma_ship_back
from domain.policy.aftercare import ClaimKind
from domain.policy.returns import ReturnReason
from tests.domain.helpers import inspected_items, money, preset, utc

PAR = preset("paralight")
BOUGHT, RECEIVED = utc(2026, 3, 1, 9), utc(2026, 3, 10, 9)
LENS = ReturnedItem(sku="LENS-25", unit_price=Decimal("250.00"))


def request(reason: ReturnReason = ReturnReason.CHANGE_OF_MIND, **changes: object) -> ReturnRequest:
    return ReturnRequest(
        reason=reason, items=[LENS], purchased_at=BOUGHT, delivered_at=RECEIVED
    ).model_copy(update=changes)


def inspected(reason: ReturnReason, **changes: object) -> InspectionFacts:
    return InspectionFacts(
        reason=reason,
        items=inspected_items(LENS),
        shipping_refundable=money("30", "EUR"),
        refundable=money("280", "EUR"),
        inspected_at=RECEIVED + timedelta(days=20),
    ).model_copy(update=changes)


def test_paralight_answers_questions_within_24_hours() -> None:
    """PAR-SUP-1"""
    deadline = support_deadline(PAR, BOUGHT)
    assert deadline is not None and deadline.at == BOUGHT + timedelta(hours=24)
    assert deadline.clauses == ("PAR-SUP-1",)


def test_paralight_warranty_from_receipt_depends_on_the_model() -> None:
    """PAR-WAR-1: two years for the PL-LASER-50, one year by default, from receipt."""
    laser = WarrantyFacts(model="PL-LASER-50", purchased_at=BOUGHT, delivered_at=RECEIVED)
    outcome = warranty(PAR, laser, RECEIVED + timedelta(days=700))
    assert outcome.decision.allowed and set(outcome.remedies) == {"replace", "repair", "service"}
    assert outcome.decision.deadlines["warranty_ends_at"] == RECEIVED + timedelta(days=730)
    other = laser.model_copy(update={"model": "PL-PRISM"})
    assert warranty(PAR, other, RECEIVED + timedelta(days=366)).remedies == ("service",)
    assert warranty(PAR, other, RECEIVED + timedelta(days=365)).decision.reason.startswith(
        "covered"
    )


def test_paralight_out_of_warranty_service_charges_basic_costs_only() -> None:
    """PAR-WAR-2"""
    facts = WarrantyFacts(model="PL-PRISM", purchased_at=BOUGHT, delivered_at=RECEIVED)
    outcome = warranty(PAR, facts, RECEIVED + timedelta(days=366))
    assert outcome.decision.allowed and outcome.service_charge == "basic_costs"
    assert outcome.remedies == ("service",) and "PAR-WAR-2" in outcome.decision.clauses


def test_paralight_warranty_void_for_abnormal_use_or_missing_serial() -> None:
    """PAR-WAR-3"""
    for condition in ("abnormal_use", "third_party_repair", "serial_number_missing", "accident"):
        facts = WarrantyFacts(
            model="PL-PRISM",
            purchased_at=BOUGHT,
            delivered_at=RECEIVED,
            void_conditions=(condition,),
        )
        outcome = warranty(PAR, facts, RECEIVED + timedelta(days=10))
        assert "void" in outcome.decision.reason and "PAR-WAR-3" in outcome.decision.clauses
        assert outcome.remedies == ("service",)


def test_paralight_return_requests_within_30_days_of_receipt() -> None:
    """PAR-RET-1: day 30 in time, day 31 not."""
    assert return_eligibility(PAR, request(), RECEIVED + timedelta(days=30)).decision.allowed
    late = return_eligibility(PAR, request(), RECEIVED + timedelta(days=31))
    assert not late.decision.allowed and late.decision.clauses == ("PAR-RET-1",)


def test_paralight_no_return_without_prior_written_approval() -> None:
    """PAR-RET-2"""
    outcome = return_eligibility(PAR, request(), RECEIVED + timedelta(days=3))
    assert outcome.needs_rma and "PAR-RET-2" in outcome.decision.clauses
    unapproved = refund_breakdown(PAR, inspected(ReturnReason.DEFECTIVE, approved=False))
    assert unapproved.total.amount == 0 and "PAR-RET-2" in unapproved.clauses


def test_paralight_returns_unused_in_original_packaging_with_the_invoice() -> None:
    """PAR-RET-3"""
    now = RECEIVED + timedelta(days=3)
    unpacked = request(items=[LENS.model_copy(update={"original_packaging": False})])
    assert "packaging" in return_eligibility(PAR, unpacked, now).decision.reason
    used = request(items=[LENS.model_copy(update={"used": True})])
    assert not return_eligibility(PAR, used, now).decision.allowed
    no_invoice = return_eligibility(PAR, request(has_original_invoice=False), now)
    assert not no_invoice.decision.allowed and no_invoice.decision.clauses == ("PAR-RET-3",)


def test_paralight_rma_approval_lapses_after_15_days() -> None:
    """PAR-RET-4: sent on day 15 counts; a day 16 parcel is refused."""
    approved = RECEIVED + timedelta(days=2)
    assert rma_ship_back(PAR, approved, approved + timedelta(days=15), approved).allowed
    lapsed = rma_ship_back(PAR, approved, None, approved + timedelta(days=15, minutes=1))
    assert not lapsed.allowed and "PAR-RET-4" in lapsed.clauses
    assert lapsed.deadlines["ship_back_by"] == approved + timedelta(days=15)


def test_paralight_custom_made_products_return_only_if_defective_or_damaged() -> None:
    """PAR-RET-5"""
    custom = [LENS.model_copy(update={"category": "custom_made"})]
    now = RECEIVED + timedelta(days=3)
    refused = return_eligibility(PAR, request(items=custom), now)
    assert not refused.decision.allowed and refused.decision.clauses == ("PAR-RET-5",)
    assert return_eligibility(
        PAR, request(ReturnReason.DEFECTIVE, items=custom), now
    ).decision.allowed
    damaged = request(ReturnReason.DAMAGED_IN_SHIPPING, items=custom)
    assert return_eligibility(PAR, damaged, now).decision.allowed


def test_paralight_shipping_damage_reported_within_5_days_of_receipt() -> None:
    """PAR-RET-6"""
    facts = ClaimFacts(kind=ClaimKind.SHIPPING_DAMAGE, purchased_at=BOUGHT, delivered_at=RECEIVED)
    assert claim(PAR, facts, RECEIVED + timedelta(days=5)).allowed
    late = claim(PAR, facts, RECEIVED + timedelta(days=5, minutes=1))
    assert not late.allowed and late.clauses == ("PAR-RET-6",)


def test_paralight_pays_return_shipping_for_damage_or_defect() -> None:
    """PAR-RET-7"""
    defect = return_eligibility(PAR, request(ReturnReason.DEFECTIVE), RECEIVED + timedelta(days=3))
    assert defect.return_shipping_paid_by == "merchant" and "PAR-RET-7" in defect.decision.clauses
    mind = return_eligibility(PAR, request(), RECEIVED + timedelta(days=3))
    assert mind.return_shipping_paid_by == "customer"


def test_paralight_charges_a_20_percent_restocking_fee_on_other_returns() -> None:
    """PAR-RET-8"""
    mind = refund_breakdown(PAR, inspected(ReturnReason.CHANGE_OF_MIND))
    assert str(mind.total) == "200.00 EUR" and "PAR-RET-8" in mind.clauses
    fee = next(line for line in mind.lines if line.label.startswith("restocking fee"))
    assert str(fee.amount) == "-50.00 EUR"
    defect = refund_breakdown(PAR, inspected(ReturnReason.DEFECTIVE))
    assert str(defect.total) == "280.00 EUR"
