"""Answers about orders: placement, the order, its changes, payments and gift cards."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from starter.schemas.common import (
    Amount,
    Answer,
    Deadlines,
    EmailSent,
    Instant,
    Links,
    Movement,
    NextAction,
    TimelineEntry,
)
from starter.schemas.returns import ReturnAnswer


class Placed(Answer):
    order_id: str
    status: str
    access_token: str = Field(description="The customer's token for this order: keep it secret")
    total: Amount
    links: Links
    next_action: NextAction | None = None


class Amounts(Answer):
    items: Amount
    shipping: Amount
    total: Amount


class Line(Answer):
    sku: str
    name: str
    category: str
    quantity: int
    unit_price: str


class Address(Answer):
    name: str
    line1: str
    line2: str | None = None
    city: str
    postal_code: str
    country: str


class Parcel(Answer):
    parcel: int
    status: str
    carrier: str | None = None
    tracking_number: str | None = None
    delivered_at: Instant | None = None
    voided: bool = False
    replaced: bool = False


class DigitalCard(Answer):
    card_id: str
    sku: str
    line: int
    value: Amount
    status: str
    issued_at: Instant | None
    expires_at: Instant | None
    redeemed_at: Instant | None
    code: str | None = Field(None, description="Only with the order's own token")


class OrderAnswer(Answer):
    order_id: str
    merchant: str
    external_reference: str | None
    status: str
    next_action: NextAction | None = None
    placed_at: Instant
    locale: str | None
    policy_version: str
    amounts: Amounts
    lines: list[Line]
    shipping_address: Address | None
    payments: list[Movement]
    shipments: list[Parcel]
    deadlines: Deadlines
    emails: list[EmailSent]
    coupons: list[Any]
    returns: list[ReturnAnswer]
    digital_cards: list[DigitalCard]
    timeline: list[TimelineEntry]


class AddressChangeAnswer(Answer):
    order_id: str
    shipping_address: Address
    edit_window_closes_at: Instant | None
    clauses: list[str]


class Cancelled(Answer):
    order_id: str
    status: str
    refund: Amount
    clauses: list[str]


class Reshipped(Answer):
    order_id: str
    shipping_address: Address
    reshipping_fee: Amount
    clauses: list[str]


class PaymentAttempt(Answer):
    order_id: str
    attempt: int
    status: str
    next_action: NextAction | None = None


class CardReport(Answer):
    order_id: str
    card_id: str
    report: str
    answer_by: Instant | None = None
    replacement: str | None = None
    clauses: list[str]


class DigitalVerification(Answer):
    order_id: str
    verdict: str
    status: str
    clauses: list[str]


class EditedLine(Answer):
    sku: str
    name: str
    quantity: int
    unit_price: str
    category: str
    parcel: int


class EditAnswer(Answer):
    """An edit of the order's lines: previewed (nothing changed), or taken, with the money it
    moves (`difference`: above zero charged, below zero refunded)."""

    edit_id: str | None = None
    order_id: str
    status: str = Field(
        description="preview, applied, awaiting_approval (an operator's raise, for the "
        "customer to approve by `approve_by`), declined, refused or lapsed"
    )
    lines: list[EditedLine]
    items_total: Amount
    shipping_total: Amount
    total: Amount
    previous_total: Amount
    difference: Amount
    settlement: str = Field(description="none, charged, refunded or refund_owed")
    moved: Amount | None = None
    approve_by: Instant | None = None
    decline_code: str | None = None
    clauses: list[str]
    links: Links | None = None


class LinesCancelledAnswer(Answer):
    cancel_id: str
    order_id: str
    lines: list[EditedLine] = Field(description="what the order keeps")
    refund: Amount
    refund_lines: list[dict[str, Any]]
    settlement: str
    clauses: list[str]
