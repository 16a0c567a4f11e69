"""Answers about returns and claims, and the evidence files behind them."""

from __future__ import annotations

from pydantic import Field

from starter.schemas.common import (
    Amount,
    Answer,
    Deadlines,
    EvidenceRef,
    Instant,
    Links,
    TimelineEntry,
)


class ReturnLine(Answer):
    sku: str
    name: str
    category: str
    quantity: int
    unit_price: str
    opened: bool
    used: bool
    inspection: str | None = None


class ReturnParcel(Answer):
    carrier: str | None
    tracking_number: str | None
    seller_label: bool
    received_at: Instant | None


class RefundLine(Amount):
    label: str
    clauses: list[str]


class RefundBreakdown(Answer):
    lines: list[RefundLine]
    total: Amount
    refunded: Amount | None
    pay_by: Instant | None
    clauses: list[str]


class ReturnAnswer(Answer):
    rma_id: str
    order_id: str
    status: str
    reason: str
    resolution: str
    lines: list[ReturnLine]
    approved_by: str | None
    parcel: ReturnParcel
    deadlines: Deadlines
    refund: RefundBreakdown | None
    replacement_tracking_number: str | None
    evidence: list[EvidenceRef]
    timeline: list[TimelineEntry]


class ReturnOpenedAnswer(Answer):
    rma_id: str
    order_id: str
    status: str
    needs_approval: bool
    seller_return_label: bool
    return_window_closes_at: Instant | None
    clauses: list[str]
    links: Links


class Evidence(Answer):
    evidence_id: str
    order_id: str | None
    subscription_id: str | None
    content_type: str
    size_bytes: int
    sha256: str
    created_at: Instant
    links: Links | None = Field(default=None, description="`self`: where it is read back")


class ClaimFiledAnswer(Answer):
    claim_id: str
    order_id: str | None
    subscription_id: str | None = None
    kind: str
    status: str
    answer_by: Instant | None
    warranty: dict[str, object] | None
    clauses: list[str]
    links: Links


class ClaimAnswer(Answer):
    claim_id: str
    order_id: str | None
    subscription_id: str | None
    kind: str
    status: str
    sku: str | None
    answer_by: Instant | None
    warranty: dict[str, object] | None
    repair_due_at: Instant | None
    spare_part_wait_days: int
    quote: Amount | None
    quote_paid: bool
    outcome: str | None
    refunded: Amount | None
    answer: str | None
    evidence: list[EvidenceRef]
    deadlines: Deadlines
    escalated: list[str]
    timeline: list[TimelineEntry]
    description: str | None = Field(None, description="The customer's words; operators only")


class QuoteAnswered(Answer):
    claim_id: str
    paid: bool
    status: str
    amount: Amount
    decline_code: str | None
