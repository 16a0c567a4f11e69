"""Carrier activities: labels with their pickup, voided labels, and asking after parcels."""

from __future__ import annotations

import asyncpg
from temporalio import activity

from activities.models import BuyLabel, LabelResult, ParcelScan, PollTracking, VoidLabel
from activities.payments import provider_refusals
from activities.store import order_row
from adapters.carriers import CarrierGateway, Destination


class CarrierActivities:
    def __init__(self, pool: asyncpg.Pool, carrier: CarrierGateway) -> None:
        self._pool = pool
        self._carrier = carrier

    @activity.defn(name="buy_shipping_label")
    async def buy_shipping_label(self, request: BuyLabel) -> LabelResult:
        """A label for one parcel, with the carrier's pickup booked for `pickup_at`."""
        if request.return_to is not None:
            destination = Destination.model_validate(request.return_to)
        else:
            order = await order_row(self._pool, request.order_id)
            destination = Destination.model_validate(order["shipping_address"])
        with provider_refusals("LabelRejected"):
            label = await self._carrier.buy_label(
                carrier=request.carrier,
                reference=request.order_id,
                destination=destination,
                idempotency_key=request.idempotency_key,
                pickup_at=request.pickup_at,
            )
        return LabelResult(
            carrier=label.carrier, tracking_number=label.tracking_number, label_id=label.label_id
        )

    @activity.defn(name="void_shipping_label")
    async def void_shipping_label(self, request: VoidLabel) -> bool:
        """Cancel a label the carrier has not picked up; False when it already has."""
        with provider_refusals("LabelRejected"):
            return await self._carrier.void_label(request.label_id)

    @activity.defn(name="poll_tracking")
    async def poll_tracking(self, request: PollTracking) -> list[ParcelScan]:
        """Ask the carrier for parcels it has not told about; heartbeats between parcels."""
        scans: list[ParcelScan] = []
        for index, tracking_number in enumerate(request.tracking_numbers):
            activity.heartbeat(index)
            with provider_refusals("TrackingRejected"):
                status = await self._carrier.track(tracking_number)
            scans.append(ParcelScan(tracking_number=tracking_number, status=status))
        return scans
