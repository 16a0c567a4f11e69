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
    DEAD_ON_ARRIVAL = "dead_on_arrival"
    WRONG_ITEM = "wrong_item"
    NOT_AS_DESCRIBED = "not_as_described"


# The seller's fault: damage, defect, an item that never worked, the wrong item sent.
FAULT_REASONS = frozenset(
    {
        ReturnReason.DEFECTIVE,
        ReturnReason.DAMAGED_IN_SHIPPING,
        ReturnReason.DEAD_ON_ARRIVAL,
        ReturnReason.WRONG_ITEM,
    }
)


class ReturnWindow(Rule):
    """A window for some reasons (every reason when `reasons` is empty). A window naming a
    reason replaces the general ones for it; `after` says where a request past it goes."""

    length: timedelta
    counted_from: Literal["purchase", "delivery"]
    reasons: tuple[ReturnReason, ...] = ()
    after: Literal["warranty"] | None = None
    # the clauses that refuse a request past the window (its own clauses when empty): a
    # refusal cites the clause that refuses, not the one that opened the window
    closed_by: tuple[str, ...] = ()


class ConditionRule(Rule):
    """What a returned item must be like, for returns that are not the merchant's fault."""

    unopened: bool = False
    unused: bool = True
    undamaged: bool = False
    original_packaging: bool = False
    original_invoice: bool = False
    all_accessories: bool = False


class RmaRule(Rule):
    """Prior approval: without it no return is accepted."""

    ship_back_within: timedelta | None = None
    return_address_after_approval: bool = True
    tracking_number_requested: bool = False
    contents_required: tuple[str, ...] = ()
    # what a note in the parcel "speeds up" (KWO-RMA-5): asked for, and a higher place on
    # the operators' list when given, never a condition
    contents_recommended: tuple[str, ...] = ()


EvidenceKind = Literal["item", "packaging", "outer_label"]


class EvidenceRule(Rule):
    """Files a request for these reasons must carry: one of each of `kinds`, and at least
    `at_least` in all; `recommended` kinds speed the case up (a higher place on the
    operators' list), never a condition."""

    reasons: tuple[ReturnReason, ...] = Field(min_length=1)
    kinds: tuple[EvidenceKind, ...] = ()
    at_least: int = Field(0, ge=0)
    recommended: tuple[EvidenceKind, ...] = ()


class InspectionRule(Rule):
    refund_after_confirmed: bool = True


class ExclusionRule(Rule):
    categories: tuple[str, ...] = Field(min_length=1)
    unless: tuple[ReturnReason, ...] = ()
    # the exclusion spares an item still sealed (neither opened nor used): "used software"
    unless_sealed: bool = False


class RestockingRule(Rule):
    """A fee on every approved return except those for the exempt reasons (the seller's
    fault). `for_reasons`, the reasons that pay it, is read only from older pinned policies."""

    percent: Decimal = Field(ge=0, le=100)
    exempt_reasons: tuple[ReturnReason, ...] = tuple(sorted(FAULT_REASONS))
    for_reasons: tuple[ReturnReason, ...] | None = None

    def applies_to(self, reason: ReturnReason) -> bool:
        if self.for_reasons is not None:
            return reason in self.for_reasons
        return reason not in self.exempt_reasons


class ReturnShippingRule(Rule):
    paid_by_customer: bool = True
    seller_pays_for_fault: bool = True
    international_all_shipping_by_customer: bool = False
    seller_label_for_fault: bool = False  # the seller's courier account, on a return label
    # A dead, damaged or defective item worth less than this is refunded or replaced where it
    # is, never sent back: the merchant's setting (a seed may say so and name no value).
    kept_below: Decimal | None = Field(None, ge=0)


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


class ReturnAddress(Section):
    """Where returns are sent: the merchant's own setting, not a clause."""

    name: str
    line1: str
    line2: str = ""
    city: str
    postal_code: str = ""
    country: str = Field(pattern=r"^[A-Z]{2}$")

    def block(self) -> str:
        """The address as it is printed in an e-mail, one indented line each."""
        parts = [self.name, self.line1, self.line2, f"{self.postal_code} {self.city}".strip()]
        return "".join(f"  {p}\n" for p in (*parts, self.country) if p)


class ReturnRules(Section):
    windows: tuple[ReturnWindow, ...] = Field(min_length=1)
    evidence: tuple[EvidenceRule, ...] = ()
    address: ReturnAddress | None = None
    # An approved return never sent lapses after this, where the policy sets no ship-back
    # time: a setting, so that an order never waits for a parcel for good.
    unsent_lapse_after: timedelta = timedelta(days=30)
    conditions: ConditionRule | None = None
    rma: RmaRule | None = None
    inspection: InspectionRule | None = None
    exclusions: tuple[ExclusionRule, ...] = ()
    restocking: RestockingRule | None = None
    shipping: ReturnShippingRule | None = None
    refund: RefundCoverRule
    exchange: ExchangeRule | None = None
