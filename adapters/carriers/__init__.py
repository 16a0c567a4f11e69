"""Carriers: the protocol every carrier implements, and the sandbox over HTTP."""

from __future__ import annotations

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
        self, *, carrier: Carrier, reference: str, destination: Destination, idempotency_key: str
    ) -> Label: ...

    async def track(self, tracking_number: str) -> str: ...
