"""What every step of a subscription's period shares: its input, where it stands, and its
timeline (read model, `SubscriptionStatus`, the Web UI's details) and e-mails."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.mail import MailActivities
    from activities.store import StoreActivities
    from domain.decisions.subscriptions import period_bounds
    from domain.status import SubscriptionStatus
    from domain.subscriptions import (
        SendSubscriptionEmail,
        SubscriptionEvent,
        SubscriptionInput,
        SubscriptionSnapshot,
    )
    from workflows import names
    from workflows.context import iso_deadlines, run_local


class SubscriptionContext:
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

    async def record(
        self,
        kind: str,
        status: SubscriptionStatus | None,
        summary: str,
        clauses: tuple[str, ...] | None = None,
        *,
        details: dict[str, object] | None = None,
        deadlines: dict[str, datetime] | None = None,
    ) -> None:
        """One timeline entry: the read model, the `SubscriptionStatus` attribute, the UI."""
        self._seq += 1
        if status is not None:
            self.status = status
            workflow.upsert_search_attributes([names.SUBSCRIPTION_STATUS.value_set(status.value)])
        workflow.set_current_details(self.details())
        event = SubscriptionEvent(
            subscription_id=self.input.subscription_id,
            seq=self._seq,
            at=workflow.now(),
            kind=kind,
            summary=summary,
            status=status,
            clauses=self.clauses if clauses is None else clauses,
            details=details or {},
            deadlines=iso_deadlines(deadlines),
            period=self.input.period,
        )
        await run_local(StoreActivities.record_subscription_event, event, kind)

    async def email(self, template: str, facts: dict[str, str], key: str | None = None) -> None:
        """One of the subscription's e-mails, sent once: `key` tells apart several."""
        sid = self.input.subscription_id
        message = SendSubscriptionEmail(
            subscription_id=sid,
            template=template,
            idempotency_key=f"{sid}:email:{template}" + (f":{key}" if key else ""),
            facts=facts,
        )
        await run_local(MailActivities.send_subscription_email, message, template)
