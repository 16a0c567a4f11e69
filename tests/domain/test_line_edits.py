"""Line edits and partial cancellation as decided, on the presets as shipped: the edit window
and the merchant's line-edit setting (IMA-EDT-1), gift cards fixed (CRD-DIG-3), the bands for
cancelled lines (KWO-CAN-1, KWO-CAN-2, KWO-CAN-3)."""

from __future__ import annotations

from datetime import timedelta

from domain.decisions.changes import OrderFacts
from domain.decisions.line_edits import line_edit, partial_cancellation
from domain.edits import EditOp, LineChange, LinesToCancel
from tests.domain.helpers import line, money, preset, utc

PAID = utc(2026, 3, 3, 9)
IMA, KWO, CRD = preset("imalent"), preset("kwoking"), preset("cardnet")


def facts(*lines, currency="USD", shipping="0", **more):  # type: ignore[no-untyped-def]
    return OrderFacts(
        lines=list(lines), shipping_paid=money(shipping, currency), paid_at=PAID, **more
    )


def qty(sku: str, n: int) -> LineChange:
    return LineChange(op=EditOp.QUANTITY, sku=sku, quantity=n)


def test_imalent_quantity_up_is_quoted_with_the_difference_and_the_units_to_reserve() -> None:
    """IMA-EDT-1"""
    judged = line_edit(IMA, facts(line("LAMP", "19.90", 2)), (qty("LAMP", 3),), PAID)
    assert judged.decision.allowed and judged.quote is not None
    quote = judged.quote
    assert str(quote.difference) == "19.90 USD" and quote.raises
    assert quote.reserve == {"LAMP": 1} and quote.release == {}
    assert "IMA-EDT-1" in quote.clauses


def test_a_swap_reserves_the_new_sku_and_releases_the_old() -> None:
    """IMA-EDT-1"""
    swap = LineChange(op=EditOp.SWAP, sku="LAMP", line=line("LAMP-2", "15.00", 2))
    judged = line_edit(IMA, facts(line("LAMP", "19.90", 2)), (swap,), PAID)
    assert judged.quote is not None and str(judged.quote.difference) == "-9.80 USD"
    assert judged.quote.reserve == {"LAMP-2": 2} and judged.quote.release == {"LAMP": 2}


def test_imalent_edits_close_after_23_hours_and_at_the_handover() -> None:
    """IMA-EDT-1"""
    late = line_edit(IMA, facts(line()), (qty("A", 2),), PAID + timedelta(hours=23))
    assert not late.decision.allowed and late.decision.clauses == ("IMA-EDT-1",)
    handed = facts(line(), fulfilment_started_at=PAID + timedelta(hours=2))
    after = line_edit(IMA, handed, (qty("A", 2),), PAID + timedelta(hours=3))
    assert not after.decision.allowed and after.field == "order"


def test_kwoking_publishes_no_edit_window_so_no_line_changes() -> None:
    refused = line_edit(KWO, facts(line(), currency="EUR"), (qty("A", 2),), PAID)
    assert not refused.decision.allowed and "no edit window" in refused.decision.reason


def test_a_preset_with_a_window_but_no_line_setting_says_so() -> None:
    assert IMA.edit is not None
    plain = IMA.model_copy(update={"edit": IMA.edit.model_copy(update={"lines": None})})
    refused = line_edit(plain, facts(line()), (qty("A", 2),), PAID)
    assert not refused.decision.allowed and "merchant setting" in refused.decision.reason
    assert refused.decision.clauses == () and refused.field == "changes"


def test_an_edit_over_the_merchants_ceiling_is_refused() -> None:
    big = line_edit(IMA, facts(line("A", "5000.00")), (qty("A", 5),), PAID)
    assert not big.decision.allowed and "takes orders of up to" in big.decision.reason


def test_a_gift_card_line_never_changes_and_none_is_added() -> None:
    """CRD-DIG-3: on a preset that edits lines, a card line stays and none is added."""
    assert IMA.edit is not None and CRD.digital is not None
    with_cards = IMA.model_copy(update={"digital": CRD.digital})
    card = line("GIFT", "50.00", 1, "digital_card")
    fixed = line_edit(with_cards, facts(line(), card), (qty("GIFT", 2),), PAID)
    assert fixed.decision.clauses == ("CRD-DIG-3",) and fixed.field == "changes[0].sku"
    add = LineChange(op=EditOp.ADD, line=line("GIFT-2", "10.00", 1, "digital_card"))
    added = line_edit(with_cards, facts(line(), card), (add,), PAID)
    assert added.decision.clauses == ("CRD-DIG-3",) and added.field == "changes[0].line.category"


def test_kwoking_lines_cancelled_by_band_and_refused_once_shipped() -> None:
    """KWO-CAN-1, KWO-CAN-2, KWO-CAN-3"""
    order = facts(line("A", "10.00", 2), line("B", "5.00"), currency="EUR", shipping="4.90")
    first = partial_cancellation(KWO, order, (LinesToCancel(sku="B"),), PAID + timedelta(hours=1))
    assert str(first.refund) == "5.00 EUR" and "KWO-CAN-1" in first.decision.clauses
    one = (LinesToCancel(sku="A", quantity=1),)
    later = partial_cancellation(KWO, order, one, PAID + timedelta(hours=25))
    assert "KWO-CAN-2" in later.decision.clauses and str(later.refund) == "10.00 EUR"
    assert [(x.sku, x.quantity) for x in later.kept] == [("A", 1), ("B", 1)]
    shipped = facts(line("A"), line("B"), currency="EUR", shipped_at=PAID + timedelta(hours=5))
    refused = partial_cancellation(
        KWO, shipped, (LinesToCancel(sku="B"),), PAID + timedelta(hours=6)
    )
    assert refused.decision.clauses == ("KWO-CAN-3",) and refused.field == "order"
    every = partial_cancellation(KWO, order, (LinesToCancel(sku="A"), LinesToCancel(sku="B")), PAID)
    assert not every.decision.allowed and every.field == "lines"
    too_many = partial_cancellation(KWO, order, (LinesToCancel(sku="B", quantity=2),), PAID)
    assert too_many.field == "lines[0].quantity"


def test_cardnet_goods_cancelled_by_the_shop_refund_the_shipping_and_keep_the_cards() -> None:
    """CRD-DIG-3"""
    order = facts(
        line("GIFT", "100", 1, "digital_card"), line("LAMP", "80"), currency="SAR", shipping="25"
    )
    by_customer = partial_cancellation(CRD, order, (LinesToCancel(sku="LAMP"),), PAID)
    assert (
        not by_customer.decision.allowed and "no cancellation rule" in by_customer.decision.reason
    )
    by_shop = partial_cancellation(CRD, order, (LinesToCancel(sku="LAMP"),), PAID, by_operator=True)
    assert str(by_shop.refund) == "105.00 SAR" and "CRD-DIG-3" in by_shop.decision.clauses
    assert [x.sku for x in by_shop.kept] == ["GIFT"]
    card = partial_cancellation(CRD, order, (LinesToCancel(sku="GIFT"),), PAID, by_operator=True)
    assert card.decision.clauses == ("CRD-DIG-3",) and card.field == "lines[0].sku"
