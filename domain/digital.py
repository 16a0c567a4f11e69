"""Digital gift cards as an order carries them: references to what the card issuer issued,
never the codes themselves (those stay sealed in PostgreSQL and reach only the customer)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.money import Money
from domain.orders import Note, Operator

# What a brand's card ID may be: checked at the API and again on the update.
CARD_ID = r"^[A-Za-z0-9_-]{1,64}$"


class CardStatus(StrEnum):
    ISSUED = "issued"
    REDEEMED = "redeemed"  # the issuer says it was used
    EXPIRED = "expired"  # two months passed unused (CRD-DIG-6)
    REPLACED = "replaced"  # found faulty on the company's side; a new card replaced it
    REFUNDED = "refunded"  # found faulty on the company's side; its value was refunded


class ReportStatus(StrEnum):
    UNDER_REVIEW = "under_review"
    REPLACED = "replaced"
    REFUNDED = "refunded"
    REFUSED = "refused"


class DigitalCard(BaseModel):
    """One issued card: the issuer's ID, the order line and unit it is for, its dates."""

    card_id: str
    line: int
    unit: int
    sku: str
    value: Money
    status: CardStatus = CardStatus.ISSUED
    issued_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None = None
    replaces: str | None = None
    report: ReportStatus | None = None
    answer_by: datetime | None = None


class CardToIssue(BaseModel):
    """A card the workflow asks the issuer for, under its idempotency key."""

    order_id: str
    line: int
    unit: int
    sku: str
    value: Money
    idempotency_key: str


class IssuedCard(BaseModel):
    """What issuing tells the workflow: a reference and a date, never the code."""

    card_id: str
    issued_at: datetime


class CardLookup(BaseModel):
    order_id: str
    card_id: str


class CardState(BaseModel):
    card_id: str
    redeemed_at: datetime | None = None


class CardMark(BaseModel):
    """A card's status as the order's page shows it."""

    card_id: str
    status: CardStatus
    expires_at: datetime | None = None
    redeemed_at: datetime | None = None


class CardMarks(BaseModel):
    marks: list[CardMark]


class CardEvent(BaseModel):
    """The issuer's webhook about a card, as the relay hands it to the order."""

    event_id: str
    type: str
    card_id: str
    redeemed_at: datetime | None = None


class VerificationVerdict(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class PurchaseVerification(BaseModel):
    """An operator's check of a large card purchase (CRD-DIG-1); a rejection means the card
    used was not the buyer's own (CRD-DIG-2)."""

    verdict: VerificationVerdict
    operator: Operator = ""
    ownership_proven: bool = False
    note: Note = ""


class VerificationOutcome(BaseModel):
    verdict: VerificationVerdict
    status: str
    refund: Money | None = None
    clauses: tuple[str, ...]


class FaultyCardReport(BaseModel):
    """The customer says a card does not work. What they wrote stays with the API."""

    card_id: str = Field(pattern=CARD_ID)


class FaultyCardVerdict(StrEnum):
    REPLACE = "replace"
    REFUND = "refund"
    REFUSE = "refuse"  # not faulty on the company's side


class FaultyCardDecision(BaseModel):
    card_id: str = Field(pattern=CARD_ID)
    verdict: FaultyCardVerdict
    operator: Operator = ""
    note: Note = ""


class FaultyCardAnswer(BaseModel):
    card_id: str
    report: ReportStatus
    answer_by: datetime | None = None
    replacement: str | None = None
    refund: Money | None = None
    clauses: tuple[str, ...]
