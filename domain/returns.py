"""Returns as the customer asks for them, and what a return's workflow carries: line IDs,
quantities, prices and the facts the policy decides on; never the customer's own words (the
description stays in PostgreSQL) nor their files (evidence is stored outside Temporal)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from domain.decisions.return_refunds import InspectedItem, RefundBreakdown
from domain.money import Money
from domain.orders import Note, Operator
from domain.policy import Carrier, Policy
from domain.policy.returns import ReturnReason
from domain.standards import OneLine
from domain.status import InspectionResult, ParcelPlace, ReturnStatus

Sku = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
EvidenceId = Annotated[str, StringConstraints(pattern=r"^ev_[0-9a-f]{24}$")]
TrackingNumber = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{4,40}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Resolution(StrEnum):
    REFUND = "refund"
    REPLACEMENT = "replacement"  # the same product again (a fault of the seller's)
    EXCHANGE = "exchange"  # another product


class EvidenceKind(StrEnum):
    ITEM = "item"
    PACKAGING = "packaging"
    OUTER_LABEL = "outer_label"
    RECEIPT = "receipt"  # the carrier's receipt for a return parcel
    DOCUMENT = "document"  # a screenshot, a statement: what shows a service was not as sold


class EvidenceRef(_Strict):
    evidence_id: EvidenceId
    kind: EvidenceKind


class ReturnLineAsk(_Strict):
    """One line to return, and the state it is in, as the customer declares it."""

    sku: Sku
    quantity: int = Field(1, ge=1, le=1000)
    opened: bool = False
    used: bool = False
    original_packaging: bool = True
    all_accessories: bool = True
    damage_cause: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")] | None = None


class ReturnAsk(_Strict):
    """`POST /v1/orders/{id}/returns`: which lines, why, and what the policy asks for."""

    reason: ReturnReason
    lines: list[ReturnLineAsk] = Field(min_length=1, max_length=100)
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    has_original_invoice: bool = False
    evidence: list[EvidenceRef] = Field(default_factory=list, max_length=20)
    resolution: Resolution = Resolution.REFUND
    exchange_sku: Sku | None = None


class ReturnRequested(BaseModel):
    """The order's update `request_return`: the ask, without the customer's words or files."""

    rma_id: str = Field(pattern=r"^rma_[0-9a-f]{16,24}$")
    reason: ReturnReason
    lines: list[ReturnLineAsk] = Field(min_length=1)
    resolution: Resolution = Resolution.REFUND
    exchange_sku: str | None = None
    has_original_invoice: bool = False
    described: bool = False
    evidence_kinds: tuple[EvidenceKind, ...] = ()


class ReturnOpened(BaseModel):
    rma_id: str
    status: ReturnStatus
    needs_approval: bool
    window_closes_at: datetime | None
    seller_label: bool
    clauses: tuple[str, ...]
    snapshot: ReturnSnapshot | None = None  # where it starts: readable as soon as it is taken


class ReturnLine(BaseModel):
    """A line of a return: what it is, and its two axes (parcel, inspection)."""

    sku: str
    name: str
    category: str
    quantity: int
    unit_price: Decimal
    opened: bool = False
    used: bool = False
    parcel: ParcelPlace = ParcelPlace.AWAITING
    inspection: InspectionResult = InspectionResult.PENDING


class ReturnWorkflowInput(BaseModel):
    rma_id: str
    order_id: str
    policy: Policy
    reason: ReturnReason
    resolution: Resolution
    exchange_sku: str | None = None
    lines: list[ReturnLine]
    needs_approval: bool
    seller_label: bool
    currency: str
    destination_country: str
    requested_at: datetime
    window_closes_at: datetime | None = None
    clauses: tuple[str, ...] = ()
    priority: int = 0  # its tasks' place on the operators' list


class ReturnReview(_Strict):
    """An operator approves or rejects a return that needs prior approval."""

    approve: bool
    operator: Operator = ""
    note: Note = ""


class ReturnShipment(_Strict):
    """The customer sent the parcel back: its carrier, tracking number and receipt."""

    carrier: Carrier
    tracking_number: TrackingNumber
    receipt: EvidenceId | None = None


class ReturnReceipt(_Strict):
    """The warehouse scanned the parcel in (a return sent without a tracking number)."""

    operator: Operator = ""


class LineInspection(_Strict):
    sku: Sku
    acceptable: bool
    defect_confirmed: bool | None = None
    missing_accessories: list[Annotated[str, StringConstraints(max_length=80), OneLine]] = Field(
        default_factory=list, max_length=20
    )
    missing_accessories_cost: Decimal = Field(Decimal(0), ge=0, max_digits=12)


class Inspection(_Strict):
    """What an operator found, line by line (KWO-RMA-7, CRD-RET-3)."""

    lines: list[LineInspection] = Field(min_length=1, max_length=100)
    operator: Operator = ""
    note: Note = ""


class ExchangeChoice(_Strict):
    """The customer's answer when the product to exchange for is out of stock (CRD-RET-5)."""

    refund: bool = False
    sku: Sku | None = None


class ReturnRefundAsk(BaseModel):
    """A return's inspected goods, sent to its order: the order decides and pays the refund,
    so that every refund of one order is bounded by the same captured amount."""

    rma_id: str
    reason: ReturnReason
    items: list[InspectedItem]
    approved: bool = True
    inspected_at: datetime


class ReturnRefundPaid(BaseModel):
    """The order's answer: the breakdown granted and what was refunded."""

    rma_id: str
    breakdown: RefundBreakdown
    refunded: Money
    failed: str | None = None


def inspected_items(lines: list[ReturnLine], inspection: Inspection) -> list[InspectedItem]:
    """The returned lines as the operator found them, for the policy's decisions."""
    found = {line.sku: line for line in inspection.lines}
    return [
        InspectedItem(
            sku=line.sku,
            unit_price=line.unit_price,
            quantity=line.quantity,
            acceptable=found[line.sku].acceptable,
            defect_confirmed=found[line.sku].defect_confirmed,
            missing_accessories_cost=found[line.sku].missing_accessories_cost,
        )
        for line in lines
    ]


class ReturnSnapshot(BaseModel):
    rma_id: str
    order_id: str
    status: ReturnStatus
    reason: ReturnReason
    resolution: Resolution
    lines: list[ReturnLine]
    approved_by: str | None = None
    ship_back_by: datetime | None = None
    carrier: Carrier | None = None
    tracking_number: str | None = None
    label_id: str | None = None
    received_at: datetime | None = None
    inspected_at: datetime | None = None
    breakdown: RefundBreakdown | None = None
    refund_pay_by: datetime | None = None
    refunded: Money | None = None
    replacement_tracking_number: str | None = None

    @classmethod
    def opening(cls, request: ReturnWorkflowInput) -> ReturnSnapshot:
        """Where a return starts, before any step of its workflow."""
        return cls(
            rma_id=request.rma_id,
            order_id=request.order_id,
            status=ReturnStatus.REQUESTED,
            reason=request.reason,
            resolution=request.resolution,
            lines=request.lines,
        )


ReturnOpened.model_rebuild()
