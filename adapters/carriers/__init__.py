"""Carriers: the protocol every carrier implements, and the sandbox over HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel

from domain.policy import Carrier


class Destination(BaseModel):
    """What a carrier needs to route a parcel; the full address goes on the label only."""

    name: str
    line1: str
    line2: str = ""
    city: str
    postal_code: str = ""
    country: str


class Label(BaseModel):
    label_id: str
    tracking_number: str
    carrier: Carrier


class CarrierGateway(Protocol):
    name: str

    async def buy_label(
        self,
        *,
        carrier: Carrier,
        reference: str,
        destination: Destination,
        idempotency_key: str,
        pickup_at: datetime | None = None,
    ) -> Label:
        """A label, with the carrier's collection booked for `pickup_at` (at once if None)."""
        ...

    async def void_label(self, label_id: str) -> bool:
        """Cancel a label not yet collected; False when the carrier already has the parcel."""
        ...

    async def track(self, tracking_number: str) -> str: ...
