"""After the sale: warranty, claims, support, digital goods, subscriptions, help topics."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import AliasChoices, Field

from domain.policy.rules import Rule, Section


class WarrantyRule(Rule):
    # None: the period is the manufacturer's, which the merchant does not publish; the store
    # never refuses a warranty claim by a period of its own
    default_period: timedelta | None = None
    period_by_model: dict[str, timedelta] = Field(default_factory=dict)
    # the merchant's settings where a seed sends faults to "the category's warranty" without
    # publishing its periods; a model's own period comes first
    period_by_category: dict[str, timedelta] = Field(default_factory=dict)
    counted_from: Literal["purchase", "delivery"] = "delivery"
    remedies: tuple[Literal["replace", "repair", "service"], ...] = ("replace", "repair")
    invoice_is_warranty: bool = False
    via_authorised_agent: bool = False
    store_mediation_shipping_by_customer: bool = False


class WarrantyVoidRule(Rule):
    conditions: tuple[str, ...] = Field(min_length=1)


class RepairRule(Rule):
    # Calendar days; each public holiday on the way adds a day, and so does each day spent
    # waiting for spare parts when `excludes_spare_part_delivery`. (Presets pinned by orders
    # placed before the reading named it `max_business_days`.)
    max_days: int = Field(ge=1, validation_alias=AliasChoices("max_days", "max_business_days"))
    excludes_spare_part_delivery: bool = True


class OutOfWarrantyRule(Rule):
    charge: Literal["basic_costs", "full"] = "basic_costs"


class WarrantyRules(Section):
    coverage: WarrantyRule
    void: WarrantyVoidRule | None = None
    repair: RepairRule | None = None
    out_of_warranty: OutOfWarrantyRule | None = None


class ClaimKind(StrEnum):
    NON_DELIVERY = "non_delivery"
    NOT_AS_DESCRIBED = "not_as_described"
    SHIPPING_DAMAGE = "shipping_damage"
    DEAD_ON_ARRIVAL = "dead_on_arrival"
    WARRANTY = "warranty"
    FAULTY_DIGITAL_CARD = "faulty_digital_card"
    UNHAPPY = "unhappy"  # a service that disappointed: a solution case by case
    QUESTION = "question"  # a customer's message: answered within the support deadline


class ClaimRule(Rule):
    kind: ClaimKind
    within: timedelta | None = None
    counted_from: Literal["purchase", "delivery"] = "purchase"
    in_writing: bool = False
    evidence: tuple[str, ...] = ()  # kinds of photos or videos each required
    evidence_at_least: int = Field(0, ge=0)  # photos or videos of any kind required
    # kinds that speed the case up: a higher place on the operators' list, never a condition
    evidence_recommended: tuple[str, ...] = ()
    expectation_only_refused: bool = False


class SupportRule(Rule):
    respond_within: timedelta
    usually_within: timedelta | None = None
    business_days: bool = False
    topic: Literal["general", "faulty_digital_card"] = "general"


class DigitalDeliveryRule(Rule):
    instant_below: Decimal = Field(ge=0)
    instant_within: timedelta
    verified_within: timedelta


class DigitalCardRule(Rule):
    expires_after_months: int = Field(ge=1)
    expired_unused_refunded: bool = False


class DigitalRules(Section):
    delivery: DigitalDeliveryRule
    no_changes: Rule
    no_returns_unless_faulty: Rule
    codes_case_sensitive: Rule
    expiry: DigitalCardRule
    used_after_purchase_no_compensation: Rule


class SubscriptionRule(Rule):
    refund_last_payment_within: timedelta
    stop: tuple[Literal["end_of_cycle", "immediately"], ...] = ("end_of_cycle", "immediately")
    interval_months: int = Field(1, ge=1, le=12)
    # After a declined renewal: wait this long before each new attempt; when every one has
    # failed, the subscription ends. The merchant's own setting (no published clause).
    renewal_retries: tuple[timedelta, ...] = (timedelta(days=1), timedelta(days=3))


class ServiceRules(Section):
    intangible: Rule
    subscription: SubscriptionRule
    case_by_case_refunds: Rule
    case_by_case_within: timedelta


class HelpRule(Rule):
    topics: tuple[str, ...] = Field(min_length=1)
