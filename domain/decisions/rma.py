"""An approved return's ship-back time (PAR-RET-4), or the merchant's lapse where the policy
sets none."""

from __future__ import annotations

from datetime import datetime

from domain.decisions import Decision, allow, refuse
from domain.policy import Policy


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
