"""Carrier scans: a parcel only moves forward, and the order follows its parcels."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from domain.orders import OrderSnapshot, TrackingEvent
from domain.status import TRACKING_RANK, OrderStatus, TrackingStatus


class ScanOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    order: OrderSnapshot
    status: OrderStatus | None
    summary: str


def apply_scan(order: OrderSnapshot, event: TrackingEvent, now: datetime) -> ScanOutcome | None:
    """The order after this scan at `now`, or None when the scan changes nothing (unknown
    parcel, a repeat, or an older scan arriving late)."""
    parcel = next(
        (
            s
            for s in order.shipments
            if s.tracking_number == event.tracking_number and not s.replaced and not s.voided
        ),
        None,
    )
    if parcel is None or TRACKING_RANK[event.status] <= TRACKING_RANK[parcel.status]:
        return None
    updated = order.model_copy(deep=True)
    moved = next(s for s in updated.shipments if s.tracking_number == event.tracking_number)
    moved.status = event.status
    tn = event.tracking_number
    picked_up = updated.shipped_at is None
    if picked_up:
        # the carrier's first scan of any parcel: it has the goods, the order has shipped (not
        # later than now: a carrier's clock may run ahead)
        updated.shipped_at = min(event.occurred_at, now)
    if event.status is TrackingStatus.DELIVERED:
        moved.delivered_at = event.occurred_at
    active = [s for s in updated.shipments if not s.replaced and not s.voided]
    if {s.status for s in active} == {TrackingStatus.DELIVERED}:
        updated.delivered_at = max(s.delivered_at for s in active if s.delivered_at)
        return ScanOutcome(
            order=updated, status=OrderStatus.DELIVERED, summary="every parcel delivered"
        )
    if event.status is TrackingStatus.LOST:
        return ScanOutcome(
            order=updated,
            status=OrderStatus.LOST,
            summary=f"parcel {tn} declared lost by the carrier",
        )
    if event.status is TrackingStatus.RETURN_TO_SENDER:
        moved.back_reason = event.reason
        return ScanOutcome(
            order=updated,
            status=OrderStatus.RETURNED_TO_SENDER,
            summary=f"parcel {tn} is coming back",
        )
    if order.status in (OrderStatus.FULFILLING, OrderStatus.SHIPPED) and event.status in (
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.OUT_FOR_DELIVERY,
    ):
        return ScanOutcome(
            order=updated,
            status=OrderStatus.IN_TRANSIT,
            summary=f"parcel {tn} {event.status.value}",
        )
    if picked_up:
        return ScanOutcome(
            order=updated,
            status=OrderStatus.SHIPPED,
            summary=f"parcel {tn} picked up by the carrier",
        )
    return ScanOutcome(order=updated, status=None, summary=f"parcel {tn} {event.status.value}")


def scan_is_news(status: str) -> bool:
    """A parcel is pre_transit from the moment its label exists: a pre_transit scan tells its
    order nothing. Every other scan (and any status not known here) is delivered."""
    return status != TrackingStatus.PRE_TRANSIT.value


def scan_known_after_the_order(status: str, recorded: str | None) -> bool:
    """Whether a carrier scan arriving after its order's workflow ended is already accounted
    for, `recorded` being the parcel's status on the order's record (None: a parcel the order
    never had). Known: the same status again (a carrier repeating its webhook) or one older than
    the recorded one. Anything else (the parcel moving on, sent back after its delivery, a
    status not known here, a parcel not the order's) is news an operator must see."""
    known = {s.value: s for s in TrackingStatus}
    if recorded not in known or status not in known:
        return False
    return status == recorded or TRACKING_RANK[known[status]] < TRACKING_RANK[known[recorded]]
