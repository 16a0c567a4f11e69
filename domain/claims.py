"""Claims and customers' questions as they are asked for, and what a claim's workflow carries:
IDs, dates, kinds and the facts the policy decides on; never the customer's own words (the
description, the question and the operator's answer stay in PostgreSQL) nor their files."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from domain.money import Money
from domain.orders import Note, Operator
from domain.policy import Policy
from domain.policy.aftercare import ClaimKind
from domain.returns import EvidenceRef, Sku
from domain.status import ClaimStatus
from domain.subscriptions import RefundCharge

ClaimId = Annotated[str, StringConstraints(pattern=r"^(clm|msg)_[0-9a-f]{16}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]

# The kinds a customer files through the claims endpoint: a faulty digital card is reported
# on the card itself, a question through the messages endpoint.
FILED = tuple(k for k in ClaimKind if k not in (ClaimKind.FAULTY_DIGITAL_CARD, ClaimKind.QUESTION))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClaimAsk(_Strict):
    """`POST /v1/orders/{id}/claims` (and `/v1/subscriptions/{id}/claims`)."""

    kind: Literal[FILED]  # type: ignore[valid-type]
    description: Text
    sku: Sku | None = Field(None, description="the product concerned (its model, for warranty)")
    evidence: list[EvidenceRef] = Field(default_factory=list, max_length=20)
    store_mediation: bool = Field(
        False, description="warranty: the customer asks the store to deal with the agent"
    )


class MessageAsk(_Strict):
    """`POST /v1/orders/{id}/messages`: a customer's question."""

    text: Text


class ClaimFiled(BaseModel):
    """The order's update `open_claim`: the ask, without the customer's words or files."""

    claim_id: ClaimId
    kind: ClaimKind
    sku: str | None = None
    evidence_kinds: tuple[str, ...] = ()
    has_invoice: bool = False
    store_mediation: bool = False


class WarrantyTerms(BaseModel):
    """The warranty as decided when the claim was opened."""

    covered: bool
    ends_at: datetime | None = None
    remedies: tuple[str, ...] = ()
    customer_pays_shipping: bool = False
    service_charge: str | None = None
    via_agent: bool = False  # the customer takes it to the manufacturer's agent
    clauses: tuple[str, ...] = ()


class ClaimStarted(BaseModel):
    claim_id: str
    kind: ClaimKind
    status: ClaimStatus
    answer_by: datetime | None = None
    clauses: tuple[str, ...] = ()
    warranty: WarrantyTerms | None = None

    def snapshot(
        self, order_id: str | None, subscription_id: str | None, sku: str | None
    ) -> ClaimSnapshot:
        """Where the claim just taken starts, before any step of its workflow."""
        return ClaimSnapshot(
            claim_id=self.claim_id,
            kind=self.kind,
            status=self.status,
            order_id=order_id,
            subscription_id=subscription_id,
            sku=sku,
            answer_by=self.answer_by,
            warranty=self.warranty,
        )


class ClaimInput(BaseModel):
    claim_id: str
    kind: ClaimKind
    policy: Policy
    order_id: str | None = None
    subscription_id: str | None = None
    sku: str | None = None
    purchased_at: datetime
    delivered_at: datetime | None = None
    opened_at: datetime
    answer_by: datetime | None
    answer_clauses: tuple[str, ...] = ()
    clauses: tuple[str, ...]
    warranty: WarrantyTerms | None = None
    has_parent: bool = False  # a child of its running order, which pays its refunds
    # A subscription's claim gives back the period it is about, under the same ledger key as
    # a cancellation would: that period is never refunded twice.
    charge: RefundCharge | None = None
    refundable: Money | None = None  # at most this is given back (the order bounds it again)
    goods: bool = True  # physical goods: they can be replaced or reshipped
    destination_country: str | None = None
    priority: int = 0  # its place on the operators' list (recommended evidence given)


def started(claim: ClaimInput) -> ClaimStarted:
    """The answer to a claim just filed."""
    return ClaimStarted(
        claim_id=claim.claim_id,
        kind=claim.kind,
        status=ClaimStatus.OPEN,
        answer_by=claim.answer_by,
        clauses=claim.clauses,
        warranty=claim.warranty,
    )


class ClaimSnapshot(BaseModel):
    claim_id: str
    kind: ClaimKind
    status: ClaimStatus
    order_id: str | None = None
    subscription_id: str | None = None
    sku: str | None = None
    answer_by: datetime | None = None
    warranty: WarrantyTerms | None = None
    received_at: datetime | None = None
    void_conditions: tuple[str, ...] = ()
    repair_due_at: datetime | None = None
    spare_part_wait_days: int = 0
    quote: Money | None = None
    quote_paid: bool = False
    outcome: str | None = None
    operator: str | None = None
    refunded: Money | None = None
    escalated: tuple[str, ...] = ()


class Outcome(StrEnum):
    REFUND = "refund"
    REPLACE = "replace"
    RESHIP = "reship"
    SOLUTION = "solution"  # a case-by-case solution, described in the note (SVC-REF-1)
    REFUSE = "refuse"


class ClaimVerdict(_Strict):
    """An operator's decision on a claim."""

    operator: Operator = ""
    outcome: Outcome
    amount: Decimal | None = Field(None, gt=0, max_digits=14, decimal_places=4)
    expectation_only: bool = Field(
        False, description="not as described: the claim rests only on the customer's expectations"
    )
    note: Note = ""


class ProductReceived(_Strict):
    operator: Operator = ""


class WarrantyInspection(_Strict):
    """What the workshop found: conditions that void the warranty (PAR-WAR-3), whether the
    fault is confirmed, and the basic cost of the service where it is not covered."""

    operator: Operator = ""
    void_conditions: tuple[Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")], ...] = ()
    defect_confirmed: bool
    quote: Decimal | None = Field(None, gt=0, max_digits=14, decimal_places=4)


class SparePartWait(_Strict):
    operator: Operator = ""
    days: int = Field(ge=1, le=180)


class RepairDone(_Strict):
    operator: Operator = ""
    outcome: Literal["repaired", "replaced"]
    tracking_number: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{4,40}$")] | None = (
        None
    )


class QuoteAnswer(_Strict):
    """The customer's answer to an out-of-warranty quote: pay it with a card token, or not."""

    accept: bool
    payment_token: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{3,100}$")] | None = None


class QuoteOutcome(BaseModel):
    paid: bool
    amount: Money
    decline_code: str | None = None
    status: ClaimStatus


class Answered(_Strict):
    """An operator answered a customer's question (the text is in PostgreSQL)."""

    operator: Operator = ""


class ClaimRefundAsk(BaseModel):
    """From a claim to its order: pay this refund, once."""

    claim_id: str
    amount: Money
    clauses: tuple[str, ...]


class ClaimRefundPaid(BaseModel):
    claim_id: str
    refunded: Money
    failed: str | None = None
