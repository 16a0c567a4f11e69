"""The bodies providers post to `/v1/webhooks/{kind}/{provider}`: Standard Webhooks events
whose `data.reference` names the order (or subscription) they concern."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.decisions.payment import EVENT_STATES
from domain.status import BackReason, TrackingStatus

# The payment events orderflow acts on, as the payment decisions know them.
PaymentEventType = Literal[tuple(sorted(EVENT_STATES))]  # type: ignore[valid-type]
# A carrier's scan, as the tracking decisions know them (written inline in the document).
ScanStatus = Literal[tuple(status.value for status in TrackingStatus)]  # type: ignore[valid-type]


class _Event(BaseModel):
    model_config = ConfigDict(extra="allow")

    created: int | None = Field(None, description="Unix time the provider wrote the event")


class PaymentData(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(description="The provider's payment ID")
    reference: str = Field(description="orderflow's order or subscription ID")
    kind: str | None = Field(None, description="`card`, `paypal`, `invoice`, …")
    amount: str | None = None
    currency: str | None = None
    status: str
    decline_code: str | None = None


class PaymentEvent(_Event):
    """Sent to `/v1/webhooks/payments/{provider}`."""

    type: PaymentEventType  # type: ignore[valid-type]
    data: PaymentData


class TrackingData(BaseModel):
    model_config = ConfigDict(extra="allow")

    tracking_number: str
    reference: str = Field(description="orderflow's order ID")
    service: str | None = None
    status: ScanStatus  # type: ignore[valid-type]
    occurred_at: str | None = Field(None, description="RFC 3339")
    reason: BackReason | None = Field(
        None, description="why a `return_to_sender` parcel comes back, when the carrier says"
    )


class TrackingEvent(_Event):
    """Sent to `/v1/webhooks/carriers/{provider}`."""

    type: Literal["tracking.updated"]
    data: TrackingData


class CardData(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(description="The brand's card ID")
    reference: str | None = Field(None, description="orderflow's order ID")
    redeemed_at: float | None = None


class CardEvent(_Event):
    """Sent to `/v1/webhooks/cards/{provider}`."""

    type: Literal["card.redeemed"]
    data: CardData


EVENTS: tuple[type[BaseModel], ...] = (PaymentEvent, TrackingEvent, CardEvent)
