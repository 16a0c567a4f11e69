"""Shipping rules: fees, the dispatch slot, carriers, tracking, delivery, customs, mishaps."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import Field

from domain.policy.rules import Rule, Section


class Carrier(StrEnum):
    DHL = "dhl"
    POST = "post"
    FEDEX = "fedex"
    AIRMAIL = "airmail"


class FeeRule(Rule):
    free: bool = True
    flat_fee: Decimal = Field(Decimal(0), ge=0)


class DispatchRule(Rule):
    """Orders paid before the cut-off on a business day leave that day, at the cut-off; later
    ones leave at the next business day's cut-off. The warehouse takes them at the cut-off."""

    same_business_day: bool = True
    cutoff: time = time(16, 0)


class FulfilmentSettings(Section):
    """How the merchant's warehouse works: operational settings, not published clauses.

    `pickup` is the carrier's daily collection (merchant time, business days; a dispatch
    rule's cut-off takes its place). `on_demand` means a courier on call, who collects as soon
    as a label exists. `lead_business_days` is how many business days the warehouse needs
    before a parcel can go out with a pickup."""

    pickup: time = time(17, 0)
    on_demand: bool = False
    lead_business_days: int = Field(0, ge=0, le=30)


class CarrierRule(Rule):
    """The carriers the merchant ships with; a merchant that publishes none still picks one,
    so this rule may name no clause."""

    clauses_optional = True
    carriers: tuple[Carrier, ...] = Field(min_length=1)
    by_destination: dict[str, Carrier] = Field(default_factory=dict)
    poll_after: timedelta = Field(
        timedelta(days=1), description="ask the carrier when a parcel has had no scan this long"
    )


class TrackingRule(Rule):
    email_within: timedelta


class DeliveryEstimateRule(Rule):
    min_business_days: int = Field(ge=0)
    max_business_days: int = Field(ge=0)


class CustomsRule(Rule):
    origin_country: str = Field(pattern=r"^[A-Z]{2}$")
    duties_paid_by: Literal["customer", "merchant"] = "customer"


class ReturnToSenderRule(Rule):
    """A parcel back for an insufficient address."""

    reship_at_customer_cost: bool = True
    pay_within: timedelta = timedelta(days=14)
    # What the merchant charges for sending the parcel again, and keeps from the refund when
    # the customer does not pay it within `pay_within` (the round trip's cost).
    reshipping_fee: Decimal = Field(Decimal(0), ge=0)


class LostParcelRule(Rule):
    reship_if_in_stock: bool = True


class ShippingRules(Section):
    carriers: CarrierRule
    fee: FeeRule | None = None
    fulfilment: FulfilmentSettings = FulfilmentSettings()
    dispatch: DispatchRule | None = None
    tracking: TrackingRule | None = None
    delivery: DeliveryEstimateRule | None = None
    customs: CustomsRule | None = None
    returned_to_sender: ReturnToSenderRule | None = None
    lost_parcel: LostParcelRule | None = None
