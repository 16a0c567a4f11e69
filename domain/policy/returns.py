"""Returns, exchanges and refunds after delivery."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import Field

from domain.policy.rules import Rule, Section


class ReturnReason(StrEnum):
    CHANGE_OF_MIND = "change_of_mind"
    DEFECTIVE = "defective"
    DAMAGED_IN_SHIPPING = "damaged_in_shipping"
    WRONG_ITEM = "wrong_item"
    NOT_AS_DESCRIBED = "not_as_described"


FAULT_REASONS = frozenset(
    {ReturnReason.DEFECTIVE, ReturnReason.DAMAGED_IN_SHIPPING, ReturnReason.WRONG_ITEM}
)


class ReturnWindow(Rule):
    length: timedelta
    counted_from: Literal["purchase", "delivery"]
    reasons: tuple[ReturnReason, ...] = ()  # empty: every reason


class ConditionRule(Rule):
    """What a returned item must be like, for returns that are not the merchant's fault."""

    unopened: bool = False
    unused: bool = True
    original_packaging: bool = False
    original_invoice: bool = False
    all_accessories: bool = False


class RmaRule(Rule):
    """Prior approval: without it no return is accepted."""

    ship_back_within: timedelta | None = None
    return_address_after_approval: bool = True
    tracking_number_requested: bool = False
    contents_required: tuple[str, ...] = ()


class InspectionRule(Rule):
    refund_after_confirmed: bool = True


class ExclusionRule(Rule):
    categories: tuple[str, ...] = Field(min_length=1)
    unless: tuple[ReturnReason, ...] = ()


class RestockingRule(Rule):
    percent: Decimal = Field(ge=0, le=100)
    for_reasons: tuple[ReturnReason, ...] = (ReturnReason.CHANGE_OF_MIND,)


class ReturnShippingRule(Rule):
    paid_by_customer: bool = True
    seller_pays_for_fault: bool = True
    international_all_shipping_by_customer: bool = False


class RefundCoverRule(Rule):
    """What a refund pays back, and by when."""

    item_percent_change_of_mind: Decimal = Field(Decimal(100), ge=0, le=100)
    includes_shipping: bool = False
    within: timedelta | None = None
    missing_accessories_charged: bool = False


class ExchangeRule(Rule):
    out_of_stock_offer_alternative: bool = True
    opened_only_if_defective: bool = True
    customer_damage_excluded: tuple[str, ...] = ()


class ReturnRules(Section):
    windows: tuple[ReturnWindow, ...] = Field(min_length=1)
    conditions: ConditionRule | None = None
    rma: RmaRule | None = None
    inspection: InspectionRule | None = None
    exclusions: tuple[ExclusionRule, ...] = ()
    restocking: RestockingRule | None = None
    shipping: ReturnShippingRule | None = None
    refund: RefundCoverRule
    exchange: ExchangeRule | None = None
