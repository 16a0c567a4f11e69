"""Carrier activities: labels with their pickup, voided labels, and asking after parcels."""

from __future__ import annotations

from typing import Any

import asyncpg
import structlog
from temporalio import activity

from activities.models import BuyLabel, LabelResult, ParcelScan, PollTracking, VoidLabel
from activities.payments import provider_refusals
from activities.store import order_row
from adapters.carriers import CarrierGateway, Destination
from adapters.carriers.easypost import EasyPostTracking, back_reason_of, status_of
from adapters.errors import ProviderRejected
from domain.errors import ErrorType
from domain.policy import Carrier
from domain.status import BackReason
from store import parcels

log = structlog.get_logger("orderflow.activities.carriers")


class CarrierActivities:
    def __init__(
        self,
        pool: asyncpg.Pool,
        carrier: CarrierGateway,
        tracking: EasyPostTracking | None = None,
    ) -> None:
        """`tracking`: the service that follows parcels; without one, the carrier that sold
        the label is asked."""
        self._pool = pool
        self._carrier = carrier
        self._tracking = tracking

    async def _register(self, tracking_number: str, carrier: Carrier) -> dict[str, Any] | None:
        """The parcel's tracker at the tracking service, registered now; None when there is no
        service or it refuses the parcel (it is asked after again when the parcel is quiet)."""
        if self._tracking is None:
            return None
        try:
            return await self._tracking.register(tracking_number, carrier)
        except ProviderRejected as err:
            log.warning("tracker refused", tracking_number=tracking_number, error=str(err))
            return None

    @activity.defn(name="buy_shipping_label")
    async def buy_shipping_label(self, request: BuyLabel) -> LabelResult:
        """A label for one parcel, with the carrier's pickup booked for `pickup_at`."""
        if request.return_to is not None:
            destination = Destination.model_validate(request.return_to)
        else:
            order = await order_row(self._pool, request.order_id)
            destination = Destination.model_validate(order["shipping_address"])
        with provider_refusals(ErrorType.LABEL_REJECTED):
            label = await self._carrier.buy_label(
                carrier=request.carrier,
                reference=request.order_id,
                destination=destination,
                idempotency_key=request.idempotency_key,
                pickup_at=request.pickup_at,
            )
        with provider_refusals(ErrorType.TRACKING_REJECTED):  # a Retry-After is kept to
            tracker = await self._register(label.tracking_number, label.carrier)
        await parcels.keep(
            self._pool,
            label.tracking_number,
            request.order_id,
            label.carrier,
            str(tracker["id"]) if tracker else None,
        )
        return LabelResult(
            carrier=label.carrier, tracking_number=label.tracking_number, label_id=label.label_id
        )

    @activity.defn(name="void_shipping_label")
    async def void_shipping_label(self, request: VoidLabel) -> bool:
        """Cancel a label the carrier has not picked up; False when it already has."""
        with provider_refusals(ErrorType.LABEL_REJECTED):
            return await self._carrier.void_label(request.label_id)

    @activity.defn(name="poll_tracking")
    async def poll_tracking(self, request: PollTracking) -> list[ParcelScan]:
        """Ask the carrier for parcels it has not told about; heartbeats between parcels."""
        scans: list[ParcelScan] = []
        for index, tracking_number in enumerate(request.tracking_numbers):
            activity.heartbeat(index)
            with provider_refusals(ErrorType.TRACKING_REJECTED):
                status, reason = await self._status(tracking_number)
            scans.append(ParcelScan(tracking_number=tracking_number, status=status, reason=reason))
        return scans

    async def _status(self, tracking_number: str) -> tuple[str, BackReason | None]:
        """Where the parcel is, as orderflow names it ("unknown" when nobody knows yet), and
        why it comes back when the tracking service says."""
        if self._tracking is None:
            return await self._carrier.track(tracking_number), None
        parcel = await parcels.one(self._pool, tracking_number)
        tracker: dict[str, Any] | None
        if parcel is not None and parcel["tracker_id"]:
            tracker = await self._tracking.read(parcel["tracker_id"])
        else:
            # a parcel labelled before the service was chosen, or refused then: registered now
            carrier = Carrier(parcel["carrier"]) if parcel else Carrier.POST
            tracker = await self._register(tracking_number, carrier)
            if tracker is None:
                return "unknown", None
            if parcel is not None:
                await parcels.keep(
                    self._pool, tracking_number, parcel["order_id"], carrier, str(tracker["id"])
                )
        status = status_of(tracker)
        return (status.value if status else "unknown"), back_reason_of(tracker)
