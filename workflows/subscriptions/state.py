"""What every step of a subscription's period shares: its input, where it stands, and its
timeline (read model, `SubscriptionStatus`, the Web UI's details) and e-mails."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.store import StoreActivities
    from domain.decisions.subscriptions import period_bounds
    from domain.status import SubscriptionStatus
    from domain.subscriptions import (
        SubscriptionEvent,
        SubscriptionInput,
        SubscriptionSnapshot,
    )

from workflows import names
from workflows.shared.recorder import Entry, Owner, Recorder


class SubscriptionContext(Recorder):
    status_attribute = names.SUBSCRIPTION_STATUS

    def __init__(self, sub: SubscriptionInput) -> None:
        self.input = sub
        self.policy = sub.policy
        self.clauses = sub.policy.services.subscription.clauses if sub.policy.services else ()
        self.status = sub.status
        self.last = sub.last_payment
        self.start, self.end = period_bounds(sub.policy, sub.anchor, sub.period)
        self.next_charge_at: datetime | None = None
        self.access_ends_at: datetime | None = None
        self.decline: str | None = None
        self.owner = Owner(key=sub.subscription_id, subscription_id=sub.subscription_id)
        self._seq = sub.seq

    def next_period(self) -> SubscriptionInput:
        """The input of the next period's run (continue-as-new)."""
        return self.input.model_copy(
            update={
                "period": self.input.period + 1,
                "status": self.status,
                "last_payment": self.last,
                "seq": self._seq,
            }
        )

    def snapshot(self) -> SubscriptionSnapshot:
        return SubscriptionSnapshot(
            subscription_id=self.input.subscription_id,
            status=self.status,
            period=self.input.period,
            period_start=self.start,
            period_end=self.end,
            next_charge_at=self.next_charge_at,
            access_ends_at=self.access_ends_at,
            last_payment=self.last,
            decline_code=self.decline,
        )

    def details(self) -> str:
        rows = [
            f"**Status:** `{self.status.value}`",
            f"**Period {self.input.period}:** {self.start.date()} to {self.end.date()}",
        ]
        if self.next_charge_at:
            rows.append(f"**Next charge:** {self.next_charge_at.isoformat(timespec='seconds')}")
        if self.access_ends_at and self.status is SubscriptionStatus.CANCELLING:
            rows.append(f"**Access ends:** {self.access_ends_at.isoformat(timespec='seconds')}")
        if self.decline:
            rows.append(f"**Last charge declined:** {self.decline}")
        return "\n\n".join(rows)

    def _set_status(self, status: Any) -> None:
        self.status = status

    def _entry(
        self, entry: Entry
    ) -> tuple[Callable[[Any, SubscriptionEvent], Awaitable[None]], Any]:
        event = SubscriptionEvent(
            **entry.written(
                subscription_id=self.input.subscription_id,
                clauses=self.clauses if entry.clauses is None else entry.clauses,
                period=self.input.period,
            )
        )
        return StoreActivities.record_subscription_event, event
