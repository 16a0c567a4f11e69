"""Subscriptions as the storefront asks for them, and what their workflow carries from one
billing period to the next (IDs, amounts, dates and the pinned policy; no personal data)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from domain.money import Money
from domain.orders import Customer, Text
from domain.policy import Policy
from domain.status import SubscriptionStatus

Stop = Literal["end_of_cycle", "immediately"]


class SavedCard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["card"] = "card"
    token: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{3,100}$")] = Field(
        description="the gateway's payment-method token, kept for charges without the customer"
    )


class Subscribe(BaseModel):
    """The storefront's request to start a subscription."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    merchant: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{1,40}$")]
    plan: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
    plan_name: Text
    price: Decimal = Field(gt=0, max_digits=12)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    interval: Literal["month"] = "month"
    customer: Customer
    payment: SavedCard

    @field_validator("price", mode="before")
    @classmethod
    def _no_float(cls, value: object) -> object:
        if isinstance(value, float):
            raise ValueError('prices are decimal strings such as "19.90", never floats')
        return value


class LastPayment(BaseModel):
    amount: Money
    paid_at: datetime
    payment_id: str
    period: int


class SubscriptionInput(BaseModel):
    """One billing period's run; the next period is a new run (continue-as-new) of this."""

    subscription_id: str
    policy: Policy
    plan: str
    price: Money
    anchor: datetime
    payment_token: str
    period: int = 1
    status: SubscriptionStatus = SubscriptionStatus.PENDING
    last_payment: LastPayment | None = None
    seq: int = 0  # the timeline's last entry


class SubscriptionCancel(BaseModel):
    """The customer's cancellation, with their choice when nothing is refunded."""

    model_config = ConfigDict(extra="forbid")

    stop: Stop = "end_of_cycle"


class SubscriptionCancelled(BaseModel):
    status: SubscriptionStatus
    refund: Money
    access_ends_at: datetime
    clauses: tuple[str, ...]


class SubscriptionSnapshot(BaseModel):
    subscription_id: str
    status: SubscriptionStatus
    period: int
    period_start: datetime | None = None
    period_end: datetime | None = None
    next_charge_at: datetime | None = None
    access_ends_at: datetime | None = None
    last_payment: LastPayment | None = None
    decline_code: str | None = None


class SubscriptionEvent(BaseModel):
    """A subscription's timeline entry, and the read-model change that goes with it."""

    subscription_id: str
    seq: int
    at: datetime
    kind: str
    summary: str
    status: SubscriptionStatus | None = None
    clauses: tuple[str, ...] = ()
    details: dict[str, object] = Field(default_factory=dict)
    deadlines: dict[str, str] | None = None
    period: int = 1


class ChargeSaved(BaseModel):
    """A charge of a saved payment method without the customer present."""

    subscription_id: str
    amount: Money
    payment_token: str
    idempotency_key: str
    clauses: tuple[str, ...] = ()


class RefundCharge(BaseModel):
    subscription_id: str
    payment_id: str
    amount: Money
    idempotency_key: str
    clauses: tuple[str, ...] = ()


class SendSubscriptionEmail(BaseModel):
    subscription_id: str
    template: str
    idempotency_key: str
    facts: dict[str, str] = Field(default_factory=dict)
