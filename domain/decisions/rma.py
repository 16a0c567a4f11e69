"""A return on its way back: the approved return's ship-back time (PAR-RET-4), or the
merchant's lapse where the policy sets none; what the return parcel's scans tell; and whether
an inspection covers the returned lines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from domain.decisions import Decision, allow, refuse
from domain.policy import Policy
from domain.policy.returns import FAULT_REASONS, ReturnReason
from domain.status import TrackingStatus


def rma_ship_back(
    policy: Policy, approved_at: datetime, shipped_at: datetime | None, now: datetime
) -> Decision:
    """After approval the customer has a set time to send the goods (PAR-RET-4); then the
    approval is cancelled. Where the policy sets none, the merchant's lapse setting bounds
    the wait, so that no order waits for a parcel for good."""
    rules = policy.returns
    rma = rules.rma if rules else None
    if rma is not None and rma.ship_back_within is not None:
        deadline, clauses = approved_at + rma.ship_back_within, rma.clauses
    elif rules is not None:
        deadline, clauses = approved_at + rules.unsent_lapse_after, ()
    else:
        return allow("no ship-back deadline")
    if (shipped_at or now) > deadline:
        return refuse(
            "the return approval lapsed: the goods were not sent in time",
            *clauses,
            ship_back_by=deadline,
        )
    return allow("within the ship-back time", *clauses, ship_back_by=deadline)


class ParcelNews(StrEnum):
    """What a carrier's scan of a return parcel tells its return."""

    SENT = "sent"  # on its way back: the customer sent it within the ship-back time
    ARRIVED = "arrived"  # delivered to the merchant
    LOST = "lost"  # lost, or sent back to the customer: an operator settles it


SENT_SCANS = frozenset(
    {
        TrackingStatus.PICKED_UP,
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.EXCEPTION,
    }
)


def return_parcel_news(status: TrackingStatus) -> ParcelNews | None:
    """A return parcel's scan, as its return reads it; None for one that tells nothing."""
    if status in SENT_SCANS:
        return ParcelNews.SENT
    if status is TrackingStatus.DELIVERED:
        return ParcelNews.ARRIVED
    if status in (TrackingStatus.LOST, TrackingStatus.RETURN_TO_SENDER):
        return ParcelNews.LOST
    return None


def inspection_complete(
    reason: ReturnReason, returned: Sequence[str], inspected: Sequence[tuple[str, bool | None]]
) -> Decision:
    """Whether an inspection covers each returned line (by SKU) once and, for a return over a
    fault (KWO-RMA-7/8, CRD-RET-3), says for each whether the reported problem was found."""
    if sorted(sku for sku, _ in inspected) != sorted(returned):
        return refuse("inspect each returned line once: " + ", ".join(returned))
    if reason in FAULT_REASONS and any(found is None for _, found in inspected):
        return refuse("say for each line whether the reported problem was confirmed")
    return allow("every returned line inspected")
