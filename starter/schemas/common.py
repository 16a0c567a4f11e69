"""Pieces every answer shares: amounts, instants, links, timelines."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


# Every instant the API writes: RFC 3339 in UTC, ending in `Z`.
Instant = Annotated[datetime, AfterValidator(_utc)]


class Answer(BaseModel):
    """An answer's documented fields; a client ignores any it does not know, so fields can
    be added without a new API version."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Amount(Answer):
    amount: str = Field(pattern=r"^-?\d+(\.\d+)?$", description="Decimal, in major units")
    currency: str = Field(description="ISO 4217 code")


class NextAction(Answer):
    type: str = Field(description="`redirect`: send the customer to `url`")
    url: str


class Links(Answer):
    self_: str = Field(alias="self")
    page: str | None = Field(None, description="The customer's order page, with its token")


class TimelineEntry(Answer):
    seq: int
    at: Instant
    kind: str
    status: str | None
    summary: str
    clauses: list[str]
    details: dict[str, Any]


Deadlines = dict[str, Instant]


class EmailSent(Answer):
    template: str
    subject: str
    sent_at: Instant | None = Field(description="Null while it waits to be sent")


class Movement(Answer):
    """One movement of money: an authorisation, a capture, a void or a refund."""

    movement: str
    amount: Amount
    currency: str
    provider: str
    provider_ref: str | None
    status: str
    failure: str | None = Field(
        default=None, description="Why the provider refused it, for a `failed` movement"
    )
    clauses: list[str]
    created_at: Instant


class EvidenceRef(Answer):
    kind: str
    evidence_id: str


class Decided(Answer):
    """An operator's or customer's act on an order, and the clauses behind its outcome."""

    order_id: str
    status: str
    clauses: list[str]
    refund: Amount | None = None
