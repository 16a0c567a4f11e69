"""Orders as the storefront places them, and what a workflow carries (no personal data)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from domain.money import FeeCapture, Money
from domain.policy import Carrier, PaymentMethod, Policy
from domain.standards import CountryCode, CurrencyCode, Email, LocaleId, OneLine
from domain.status import BackReason, OrderStatus, TrackingStatus

DIGITAL_CATEGORIES = frozenset({"digital_card"})

Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), OneLine
]
# The shop's own references (its order number, its customer ID): printable, no spaces.
Reference = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:/#-]{1,64}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Address(_Strict):
    name: Text
    line1: Text
    line2: Annotated[str, StringConstraints(max_length=200), OneLine] = ""
    city: Text
    postal_code: Annotated[str, StringConstraints(max_length=20), OneLine] = ""
    country: CountryCode


class Customer(_Strict):
    email: Email
    phone: Annotated[str, StringConstraints(max_length=40), OneLine] = ""
    locale: LocaleId | None = Field(
        default=None,
        description="the language of the customer's e-mails and order page (`fr`, `ar`, "
        "`lv`, `en`, or with a region such as `fr-BE`); the merchant's when absent",
    )


class OrderLine(_Strict):
    sku: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
    name: Text
    quantity: int = Field(ge=1, le=1000)
    unit_price: Decimal = Field(ge=0, max_digits=12)
    category: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,40}$")] = "general"
    parcel: int = Field(1, ge=1, le=20, description="the parcel this line leaves in (split orders)")

    @field_validator("unit_price", mode="before")
    @classmethod
    def _no_float(cls, value: object) -> object:
        if isinstance(value, float):
            raise ValueError('prices are decimal strings such as "19.90", never floats')
        return value

    @property
    def is_digital(self) -> bool:
        return self.category in DIGITAL_CATEGORIES


class PaymentInstruction(_Strict):
    method: PaymentMethod
    token: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{3,100}$")] | None = Field(
        default=None, description="the provider's payment-method token (cards)"
    )


class PlaceOrder(_Strict):
    """The storefront's request to place an order."""

    merchant: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{1,40}$")]
    currency: CurrencyCode
    external_reference: Reference | None = Field(
        default=None,
        description="the shop's own order number: unique per merchant, searchable by "
        "operators and in Temporal (`OrderReference`)",
    )
    customer: Customer
    shipping_address: Address
    billing_address: Address | None = Field(
        default=None,
        description="where the payment method is registered; the shipping address when absent",
    )
    lines: list[OrderLine] = Field(min_length=1, max_length=100)
    payment: PaymentInstruction
    coupons: list[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,40}$")]] = Field(
        default_factory=list, max_length=20
    )


class OrderWorkflowInput(BaseModel):
    """What the order workflow starts with: IDs, amounts and the pinned policy; no PII."""

    order_id: str
    policy: Policy
    lines: list[OrderLine]
    items_total: Money
    shipping_total: Money
    total: Money
    payment_method: PaymentMethod
    payment_token: str | None = None
    destination_country: str
    placed_at: datetime
    billing_country: str | None = None


class TrackingEvent(BaseModel):
    """A carrier's scan of a parcel, as relayed from its webhook."""

    event_id: str
    tracking_number: str
    status: TrackingStatus
    occurred_at: datetime
    # why a parcel comes back, when the carrier says: refused at customs, or the address
    reason: BackReason | None = None


class Shipment(BaseModel):
    carrier: Carrier
    tracking_number: str
    label_id: str
    status: TrackingStatus = TrackingStatus.PRE_TRANSIT
    delivered_at: datetime | None = None
    replaced: bool = False  # lost or sent back, and a replacement parcel left instead
    voided: bool = False  # the order was cancelled before the carrier collected it
    parcel: int = 1
    back_reason: BackReason | None = None  # why the carrier sends it back, when it said


class OrderSnapshot(BaseModel):
    """What the workflow knows of its order; the answer of its `order` query."""

    order_id: str
    status: OrderStatus
    shipments: list[Shipment] = Field(default_factory=list)
    paid_at: datetime | None = None
    delivered_at: datetime | None = None
    return_window_closes_at: datetime | None = None
    payment_id: str | None = None
    captured: bool = False
    fulfilment_started_at: datetime | None = None
    shipped_at: datetime | None = None
    edit_window_closes_at: datetime | None = None
    dispatch_at: datetime | None = None
    refunded: Money | None = None
    captured_amount: Money | None = None  # every capture of the order, reshipping fees too
    fees: list[FeeCapture] = Field(default_factory=list)  # the captures on other payments
    pickup_at: datetime | None = None  # the carrier's booked collection
    late: bool = False
    pay_reshipping_by: datetime | None = None
    fraud_score: int | None = None  # held for review: the score and the signals behind it
    fraud_signals: list[str] = Field(default_factory=list)
    review_by: datetime | None = None
    # the card's authorisation lapses at the provider then, unless captured or voided
    authorization_lapses_at: datetime | None = None
    # the provider confirmed that the payer took the captured payment back (a chargeback)
    reversed_at: datetime | None = None
    # the order's lines and totals once an edit or a partial cancellation changed them
    lines: list[OrderLine] | None = None
    shipping_total: Money | None = None
    total: Money | None = None


class AddressChange(BaseModel):
    """A new shipping address, stored by the API; the workflow sees only its ID."""

    change_id: int


class AddressChanged(BaseModel):
    change_id: int
    clauses: tuple[str, ...]
    edit_window_closes_at: datetime | None = None


# Who acted: the API sets it from the operator's own credential (a name given in a body counts
# only with the shared development key); blank until then.
Operator = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=80),
    OneLine,
    Field(description="set from the operator's credential; read only with the shared key"),
]
Note = Annotated[str, StringConstraints(max_length=500)]


class CancelRequest(BaseModel):
    """A customer's cancellation. The reason stays in PostgreSQL with the request; the
    workflow sees none of the text."""

    reason: Note = ""


class CancelOrigin(StrEnum):
    """Who asked for a cancellation; each is decided by the policy in its own way."""

    CUSTOMER = "customer"
    OPERATOR = "operator"  # "Request Cancellation" in the Temporal Web UI
    REVERSAL = "reversal"  # the payer's bank took the payment back
    REVIEW = "review"  # refused after fraud review
    CARD_OWNERSHIP = "card_ownership"  # the card was not the buyer's own (CRD-DIG-2)


class CancelOutcome(BaseModel):
    status: OrderStatus
    refund: Money
    clauses: tuple[str, ...]


class ReshipRequest(BaseModel):
    """The customer's answer to a returned parcel: a corrected address (stored by the API,
    the workflow sees its ID) and the payment for sending the parcel again."""

    change_id: int
    payment_token: str


class ReshipOutcome(BaseModel):
    paid: bool
    fee: Money
    clauses: tuple[str, ...]
    decline_code: str | None = None


class PaymentStep(BaseModel):
    """Where an order's payment stands, as the storefront shows it: what the customer must do
    next (a 3-D Secure challenge, a PayPal approval, an invoice to pay), or the outcome."""

    status: OrderStatus
    attempt: int
    next_action_url: str | None = None
    decline_code: str | None = None
    clauses: tuple[str, ...] = ()


class RetryPayment(BaseModel):
    """A new payment attempt after a failed one, with a new token from the provider."""

    payment_token: str


class FraudVerdict(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REQUIRE_INVOICE = "require_invoice"


class FraudDecision(BaseModel):
    """An operator's decision on an order held for review."""

    verdict: FraudVerdict
    operator: Operator = ""
    note: Note = ""


class OwnershipRejection(BaseModel):
    """An operator cancels a paid order whose card turned out not to be the buyer's own."""

    ownership_proven: bool
    operator: Operator = ""
    note: Note = ""


class OperatorRefund(BaseModel):
    """Money an operator gives back on an order, up to what is still refundable."""

    refund_id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    amount: Money
    reason: Note
    operator: Operator = ""


class OperatorRefunded(BaseModel):
    refund_id: str
    amount: Money
    refunded_total: Money
    clauses: tuple[str, ...]


class PaymentEvent(BaseModel):
    """A payment provider's webhook as the relay hands it to the order: which payment, and
    what its provider says happened."""

    event_id: str
    type: str
    payment_id: str | None = None


class FraudOutcome(BaseModel):
    status: OrderStatus
    refund: Money | None = None
    clauses: tuple[str, ...] = ()
