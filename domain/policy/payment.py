"""Payment rules: methods, cards and 3-D Secure, e-invoices, coupons, fraud, refunds."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from domain.policy.rules import Rule, Section


class PaymentMethod(StrEnum):
    CARD = "card"
    PAYPAL = "paypal"
    INVOICE = "invoice"


class MethodsRule(Rule):
    allowed: tuple[PaymentMethod, ...] = Field(min_length=1)
    preferred: PaymentMethod | None = None


class CardRule(Rule):
    requires_3ds: bool = False
    max_attempts: int = Field(1, ge=1, le=20, description="payment attempts the customer may make")
    action_timeout: timedelta = timedelta(minutes=30)
    retry_within: timedelta = Field(
        timedelta(hours=24), description="how long a failed payment waits for another attempt"
    )


class InvoiceRule(Rule):
    expires_after: timedelta = timedelta(days=7)
    ships_after_payment: bool = True


class CouponRule(Rule):
    max_per_order: int = Field(ge=0)


class FraudRule(Rule):
    """Screening: orders scoring at or above `review_score` wait for an operator. The score,
    the amount and the velocity are the merchant's settings (no seed publishes them)."""

    @model_validator(mode="before")
    @classmethod
    def _retired(cls, data: Any) -> Any:
        """`may_refund_card_for_invoice` said what `may_require_invoice` does; the pinned
        policy of an order placed while it existed still loads."""
        if isinstance(data, dict) and "may_refund_card_for_invoice" in data:
            data = {k: v for k, v in data.items() if k != "may_refund_card_for_invoice"}
        return data

    review_score: int = Field(50, ge=1, le=100)
    amount_threshold: Decimal = Field(ge=0)
    max_orders_per_customer_per_day: int = Field(3, ge=1)
    # Asking for the e-invoice instead releases the card's authorisation, still uncaptured
    # while the order is held (IMA-FRD-1's "refunds a card payment and emails an e-invoice").
    may_require_invoice: bool = False
    # The merchant's own service level, no published clause: a held order is reviewed within
    # this long of its authorisation, well inside the card networks' hold (about 7 days), so
    # that the authorisation never lapses unnoticed.
    review_within: timedelta = timedelta(hours=24)


class OwnershipRule(Rule):
    """A payment method that is not the buyer's own."""

    may_cancel: bool = True
    deduct_commission_if_unproven: bool = False
    gateway_commission_percent: Decimal = Field(Decimal(0), ge=0, le=100)


class RefundRule(Rule):
    to_original_method: bool = True
    bank_fees_borne_by_customer: bool = False
    # What those fees come to: the merchant's settings (a seed that makes them the
    # customer's may publish no amount); deducted from a return's refund when set.
    bank_fee_percent: Decimal = Field(Decimal(0), ge=0, le=100)
    bank_fee_fixed: Decimal = Field(Decimal(0), ge=0)


class PaymentRules(Section):
    methods: MethodsRule
    # The merchant's own limit, no published clause: an order's total (in the preset's
    # currency) above it is refused at placement, before any provider is asked. Within what
    # every payment provider and the ledger can hold.
    max_order_total: Decimal = Field(
        Decimal(100_000), gt=0, le=Decimal(1_000_000_000), description="the largest order total"
    )
    card: CardRule | None = None
    invoice: InvoiceRule | None = None
    coupons: CouponRule | None = None
    fraud: FraudRule | None = None
    ownership: OwnershipRule | None = None
    refunds: RefundRule | None = None
