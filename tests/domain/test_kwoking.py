"""kwoking (seed 004): help topics, dead on arrival, 60-day returns, cancellation, RMA."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from domain.decisions.aftercare import ClaimFacts, claim, claim_priority
from domain.decisions.changes import OrderFacts, cancellation
from domain.decisions.fulfilment import lost_parcel
from domain.decisions.help import HelpFacts, ParcelFact, help_answers
from domain.decisions.payment import coupons, refund_route, requires_3ds
from domain.decisions.return_refunds import InspectionFacts, refund_breakdown
from domain.decisions.returns import ReturnedItem, ReturnRequest, return_eligibility
from domain.policy import PaymentMethod
from domain.policy.aftercare import ClaimKind
from domain.policy.changes import CancelRule
from domain.policy.returns import ReturnReason
from domain.status import OrderStatus
from tests.domain.helpers import inspected_items, line, money, preset, utc

KWO = preset("kwoking")
BOUGHT, DELIVERED = utc(2026, 3, 1, 9), utc(2026, 3, 6, 15)
DRONE = ReturnedItem(sku="DRONE-X", unit_price=Decimal("300.00"))


def request(reason: ReturnReason = ReturnReason.CHANGE_OF_MIND, **changes: object) -> ReturnRequest:
    return ReturnRequest(
        reason=reason, items=[DRONE], purchased_at=BOUGHT, delivered_at=DELIVERED
    ).model_copy(update=changes)


def inspected(reason: ReturnReason, **item: object) -> InspectionFacts:
    return InspectionFacts(
        reason=reason,
        items=inspected_items(DRONE, **item),
        shipping_refundable=money("15", "EUR"),
        refundable=money("315", "EUR"),
        inspected_at=DELIVERED + timedelta(days=10),
    )


def paid_order(**changes: object) -> OrderFacts:
    return OrderFacts(
        lines=[line(sku="DRONE-X", price="300.00")],
        shipping_paid=money("15", "EUR"),
        paid_at=BOUGHT,
    ).model_copy(update=changes)


def test_kwoking_every_help_topic_has_an_answer_from_the_order() -> None:
    """KWO-FAQ-1: where is my order, edit or cancel, split parcels, tracking, customs, refunds,
    declined payment, payment verification, one coupon at a time."""
    facts = HelpFacts(
        status=OrderStatus.PAYMENT_FAILED,
        parcels=(ParcelFact(tracking_number="T1"), ParcelFact(tracking_number="T2")),
        decline_code="insufficient_funds",
        attempts=1,
        currency="EUR",
        destination_country="FR",
        coupons=1,
    )
    answers = {a.topic: a for a in help_answers(KWO, facts, BOUGHT)}
    assert list(answers) == list(KWO.help.topics) and len(answers) == 9  # type: ignore[union-attr]
    assert answers["split_parcels"].values == {"count": "2"}
    assert answers["declined_payment"].values == {"code": "insufficient_funds", "left": "2"}
    assert answers["one_coupon_at_a_time"].values == {"count": "1", "used": "1"}
    assert all("KWO-FAQ-1" in a.clauses for a in answers.values())
    # one coupon at a time and 3-D Secure are the merchant's settings: no clause is cited
    two = coupons(KWO, ["A", "B"])
    assert not two.allowed and two.clauses == () and "merchant setting" in two.reason
    secure = requires_3ds(KWO, PaymentMethod.CARD)
    assert secure.allowed and secure.clauses == () and "merchant setting" in secure.reason


def test_kwoking_dead_on_arrival_within_14_days_of_delivery() -> None:
    """KWO-DOA-1"""
    facts = ClaimFacts(kind=ClaimKind.DEAD_ON_ARRIVAL, purchased_at=BOUGHT, delivered_at=DELIVERED)
    assert claim(KWO, facts, DELIVERED + timedelta(days=14)).allowed
    late = claim(KWO, facts, DELIVERED + timedelta(days=15))
    assert not late.allowed and late.clauses == ("KWO-DOA-1",)


def test_kwoking_missing_accessories_are_charged_and_the_responsible_party_pays_shipping() -> None:
    """KWO-DOA-2"""
    breakdown = refund_breakdown(
        KWO, inspected(ReturnReason.DEFECTIVE, missing_accessories_cost=Decimal("40"))
    )
    assert str(breakdown.total) == "275.00 EUR" and "KWO-DOA-2" in breakdown.clauses
    defect = return_eligibility(KWO, request(ReturnReason.DEFECTIVE), DELIVERED + timedelta(days=3))
    assert defect.return_shipping_paid_by == "merchant"
    mind = return_eligibility(KWO, request(), DELIVERED + timedelta(days=3))
    assert mind.return_shipping_paid_by == "customer"


def test_kwoking_60_day_conditional_return_refunds_part_of_the_item_not_shipping() -> None:
    """KWO-RET-1"""
    now = DELIVERED + timedelta(days=30)
    assert return_eligibility(KWO, request(), now).decision.allowed
    breakdown = refund_breakdown(KWO, inspected(ReturnReason.CHANGE_OF_MIND))
    assert str(breakdown.total) == "300.00 EUR"  # the item's whole price: the seed names no cut
    assert "shipping" not in [line.label for line in breakdown.lines]
    incomplete = request(items=[DRONE.model_copy(update={"all_accessories": False})])
    refused = return_eligibility(KWO, incomplete, now)
    assert not refused.decision.allowed and refused.decision.clauses == ("KWO-RET-1",)


def test_kwoking_no_refund_or_replacement_after_60_days() -> None:
    """KWO-RET-2: day 60 in time, day 61 not."""
    assert return_eligibility(KWO, request(), DELIVERED + timedelta(days=60)).decision.allowed
    late = return_eligibility(KWO, request(), DELIVERED + timedelta(days=61))
    assert not late.decision.allowed and "KWO-RET-2" in late.decision.clauses


def test_kwoking_lost_parcel_is_reshipped_if_in_stock_else_refunded() -> None:
    """KWO-DEF-1"""
    assert lost_parcel(KWO, in_stock=True).allowed
    refund = lost_parcel(KWO, in_stock=False)
    assert not refund.allowed and "refunded" in refund.reason and refund.clauses == ("KWO-DEF-1",)
    defect = refund_breakdown(KWO, inspected(ReturnReason.WRONG_ITEM))
    assert str(defect.total) == "315.00 EUR"


def test_kwoking_shipping_damage_claims_need_one_photo_and_the_three_kinds_speed_them_up() -> None:
    """KWO-DEF-2, KWO-RMA-3: at least one photo or video of the damage; the item, its
    packaging and the outer label "greatly speed up" the case: first on the list, not asked."""
    evidence = ("item", "packaging", "outer_label")
    facts = ClaimFacts(
        kind=ClaimKind.SHIPPING_DAMAGE,
        purchased_at=BOUGHT,
        delivered_at=DELIVERED,
        evidence=evidence,
    )
    accepted = claim(KWO, facts, DELIVERED + timedelta(days=2))
    assert accepted.allowed and accepted.clauses == ("KWO-DEF-2", "KWO-RMA-3")
    one = claim(KWO, facts.model_copy(update={"evidence": evidence[:1]}), DELIVERED)
    assert one.allowed
    none = claim(KWO, facts.model_copy(update={"evidence": ()}), DELIVERED)
    assert not none.allowed and "at least 1 photo or video" in none.reason
    assert claim_priority(KWO, ClaimKind.SHIPPING_DAMAGE, evidence) == 1
    assert claim_priority(KWO, ClaimKind.SHIPPING_DAMAGE, evidence[:1]) == 0


def test_kwoking_cancel_at_23h59_is_refunded_in_full() -> None:
    """KWO-CAN-1"""
    outcome = cancellation(KWO, paid_order(), BOUGHT + timedelta(hours=23, minutes=59))
    assert outcome.decision.allowed and str(outcome.refund) == "315.00 EUR"
    assert "KWO-CAN-1" in outcome.decision.clauses and "KWO-CAN-2" not in outcome.decision.clauses


def test_kwoking_cancel_at_24h01_is_refunded_by_the_second_rule() -> None:
    """KWO-CAN-2"""
    outcome = cancellation(KWO, paid_order(), BOUGHT + timedelta(hours=24, minutes=1))
    assert outcome.decision.allowed and str(outcome.refund) == "315.00 EUR"
    assert "KWO-CAN-2" in outcome.decision.clauses and "KWO-CAN-1" not in outcome.decision.clauses


def test_kwoking_cancel_after_shipping_is_refused() -> None:
    """KWO-CAN-3"""
    shipped = paid_order(shipped_at=BOUGHT + timedelta(hours=5))
    outcome = cancellation(KWO, shipped, BOUGHT + timedelta(hours=6))
    assert not outcome.decision.allowed and outcome.decision.clauses == ("KWO-CAN-3",)
    assert outcome.refund.amount == 0


def test_kwoking_cancellation_rules_may_differ_by_category() -> None:
    """KWO-CAN-4: a merchant sets a different band for one category; each line gets its own."""
    assert all("KWO-CAN-4" in band.clauses for band in KWO.cancellation.bands)  # type: ignore[union-attr]
    rules = KWO.cancellation.model_copy(
        update={
            "bands": (  # type: ignore[union-attr]
                CancelRule(
                    categories=("batteries",),
                    refund_percent=Decimal(50),
                    refund_shipping=False,
                    clauses=("KWO-CAN-4",),
                ),
                *KWO.cancellation.bands,  # type: ignore[union-attr]
            )
        }
    )
    policy = KWO.model_copy(update={"cancellation": rules})
    order = paid_order(
        lines=[
            line(sku="DRONE-X", price="300.00"),
            line(sku="CELL", price="20.00", category="batteries"),
        ]
    )
    outcome = cancellation(policy, order, BOUGHT + timedelta(hours=1))
    assert str(outcome.refund) == "310.00 EUR"  # 300 + 50% of 20, shipping kept


def test_kwoking_returns_need_approval_first_and_then_get_the_address() -> None:
    """KWO-RMA-1, KWO-RMA-6"""
    outcome = return_eligibility(
        KWO, request(ReturnReason.DEFECTIVE), DELIVERED + timedelta(days=3)
    )
    assert outcome.needs_rma and {"KWO-RMA-1", "KWO-RMA-6"} <= set(outcome.decision.clauses)
    assert KWO.returns.rma.return_address_after_approval  # type: ignore[union-attr]


def test_kwoking_asks_for_the_return_tracking_number_and_the_parcel_contents() -> None:
    """KWO-RMA-2, KWO-RMA-5: the note's contents are recommended (they speed the return up),
    never required."""
    rma = KWO.returns.rma  # type: ignore[union-attr]
    assert rma.tracking_number_requested
    assert rma.contents_required == ()
    assert set(rma.contents_recommended) == {
        "order_number",
        "product",
        "quantity",
        "problem_description",
    }
    assert {"KWO-RMA-2", "KWO-RMA-5"} <= set(rma.clauses)


def test_kwoking_refund_waits_for_the_item_and_its_inspection() -> None:
    """KWO-RMA-4, KWO-RMA-7"""
    outcome = return_eligibility(
        KWO, request(ReturnReason.DEFECTIVE), DELIVERED + timedelta(days=3)
    )
    assert outcome.inspection and {"KWO-RMA-4", "KWO-RMA-7"} <= set(outcome.decision.clauses)
    unconfirmed = refund_breakdown(KWO, inspected(ReturnReason.DEFECTIVE, defect_confirmed=False))
    assert unconfirmed.total.amount == 0 and "KWO-RMA-7" in unconfirmed.clauses


def test_kwoking_no_refund_without_approval_or_for_an_unacceptable_state() -> None:
    """KWO-RMA-8"""
    unapproved = refund_breakdown(
        KWO, inspected(ReturnReason.DEFECTIVE).model_copy(update={"approved": False})
    )
    assert unapproved.total.amount == 0 and "KWO-RMA-8" in unapproved.clauses
    assert "not approved" in unapproved.lines[0].label


def test_kwoking_refunds_go_to_the_original_method_bank_fees_the_customers() -> None:
    """KWO-REF-1: the refund is the whole grant; fees banks take on the way are noted."""
    route = refund_route(KWO)
    assert "original payment method" in route.reason and "bank fees" in route.reason
    breakdown = refund_breakdown(KWO, inspected(ReturnReason.DEFECTIVE))
    assert str(breakdown.total) == "315.00 EUR" and "KWO-REF-1" in breakdown.clauses
    note = next(line for line in breakdown.lines if "bank fees" in line.label)
    assert note.amount.amount == 0


def test_kwoking_cancel_at_exactly_24_hours_is_still_within_the_first_rule() -> None:
    """KWO-CAN-1: "within 24 hours" includes the 24th hour itself."""
    outcome = cancellation(KWO, paid_order(), BOUGHT + timedelta(hours=24))
    assert "KWO-CAN-1" in outcome.decision.clauses


def test_kwoking_bank_fees_set_by_the_merchant_are_deducted_and_shown() -> None:
    """KWO-REF-1: the seed publishes no amount; a merchant that sets one (percent and fixed)
    has it deducted from a return's refund, on a line of its own naming the setting."""
    assert KWO.payment.refunds is not None
    rule = KWO.payment.refunds.model_copy(
        update={"bank_fee_percent": Decimal("2"), "bank_fee_fixed": Decimal("1.50")}
    )
    merchant = KWO.model_copy(update={"payment": KWO.payment.model_copy(update={"refunds": rule})})
    breakdown = refund_breakdown(merchant, inspected(ReturnReason.CHANGE_OF_MIND))
    fee = next(line for line in breakdown.lines if "bank fees" in line.label)
    assert str(fee.amount) == "-7.50 EUR" and "merchant's setting" in fee.label  # 2% of 300 + 1.50
    assert fee.clauses == ("KWO-REF-1",)
    assert str(breakdown.total) == "292.50 EUR"
