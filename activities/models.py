"""The one model in and one model out of each activity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from domain.money import Money
from domain.orders import OrderLine
from domain.policy import Carrier
from domain.status import BackReason, MovementState, OrderStatus


class OrderEvent(BaseModel):
    """A timeline entry, and the read-model change that goes with it."""

    order_id: str
    seq: int
    at: datetime
    kind: str
    summary: str
    status: OrderStatus | None = None
    clauses: tuple[str, ...] = ()
    details: dict[str, Any] = Field(default_factory=dict)
    shipments: list[dict[str, Any]] | None = None
    deadlines: dict[str, Any] | None = None


class AuthorizePayment(BaseModel):
    order_id: str
    amount: Money
    payment_token: str  # a reference to a kept card token (store.credentials), or "paypal"
    idempotency_key: str
    clauses: tuple[str, ...] = ()
    three_d_secure: bool = False


class CreateInvoice(BaseModel):
    order_id: str
    amount: Money
    expires_at: datetime
    idempotency_key: str
    clauses: tuple[str, ...] = ()


class ConfirmPayment(BaseModel):
    """Ask the provider where a payment stands (a webhook said it moved) and settle the
    ledger row of the movement that started it."""

    order_id: str
    payment_id: str
    idempotency_key: str


class CapturePayment(BaseModel):
    order_id: str
    payment_id: str
    amount: Money
    idempotency_key: str
    clauses: tuple[str, ...] = ()


class MovementResult(BaseModel):
    payment_id: str
    state: MovementState
    decline_code: str | None = None
    next_action_url: str | None = None
    card_country: str | None = None
    capture_before: datetime | None = None  # the provider lets the authorisation lapse then


class SendOrderEmail(BaseModel):
    order_id: str
    template: str
    idempotency_key: str
    facts: dict[str, Any] = Field(default_factory=dict)


class BuyLabel(BaseModel):
    order_id: str
    carrier: Carrier
    idempotency_key: str
    pickup_at: datetime | None = None  # the merchant's pickup the carrier is booked for
    # A return label: to the merchant's return address, on the merchant's account; None for
    # a parcel to the order's shipping address.
    return_to: dict[str, str] | None = None


class VoidLabel(BaseModel):
    order_id: str
    label_id: str


class LabelResult(BaseModel):
    carrier: Carrier
    tracking_number: str
    label_id: str


class RefundPayment(BaseModel):
    order_id: str
    payment_id: str
    amount: Money
    idempotency_key: str
    clauses: tuple[str, ...] = ()


class VoidPayment(BaseModel):
    order_id: str
    payment_id: str
    amount: Money
    idempotency_key: str
    clauses: tuple[str, ...] = ()


class ApplyAddressChange(BaseModel):
    order_id: str
    change_id: int


class PollTracking(BaseModel):
    order_id: str
    tracking_numbers: list[str]


class ParcelScan(BaseModel):
    tracking_number: str
    status: str
    reason: BackReason | None = None  # why it comes back, when the carrier says


class EditStock(BaseModel):
    """Units an edit of the order's lines takes from stock (reserved under its key), or gives
    back when its charge did not go through."""

    order_id: str
    reservation_key: str
    units: dict[str, int]


class ApplyLineEdit(BaseModel):
    """The order's lines and totals after an edit or a partial cancellation, and the units it
    gives back to stock (once, under its key)."""

    order_id: str
    edit_key: str
    lines: list[OrderLine]
    items_total: Money
    shipping_total: Money
    total: Money
    release: dict[str, int] = Field(default_factory=dict)


class ReserveReplacement(BaseModel):
    order_id: str
    reservation_key: str
    parcel: int = 1
    items: dict[str, int] | None = None  # these SKUs and quantities, not the parcel's


class SnapshotEntry(BaseModel):
    """A timeline entry of a return or a claim, with its read model as it stands after it."""

    seq: int
    at: datetime
    kind: str
    summary: str
    status: str | None = None
    clauses: tuple[str, ...] = ()
    details: dict[str, Any] = Field(default_factory=dict)
    snapshot: dict[str, Any]
    deadlines: dict[str, Any] | None = None


class ReturnEvent(SnapshotEntry):
    rma_id: str


class OperatorTask(BaseModel):
    """Something that waits on a person, known by its key; `closed` closes it."""

    task_key: str
    order_id: str | None = None
    kind: str
    summary: str = ""
    due_at: datetime | None = None
    clauses: tuple[str, ...] = ()
    closed: bool = False
    subscription_id: str | None = None
    ref: str | None = None  # what the task's action acts on: a return, a claim, a card
    priority: int = 0  # higher first on the list: a case that met the policy's recommendations


class Escalation(BaseModel):
    """A task past its due time: marked escalated and the operators e-mailed, once."""

    task_key: str
    kind: str
    summary: str
    due_at: datetime
    order_id: str | None = None
    subscription_id: str | None = None


class ClaimEvent(SnapshotEntry):
    claim_id: str
