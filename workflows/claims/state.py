"""What every step of a claim shares: its input and snapshot, its timeline (the read model and
the Web UI's details), its e-mails to the customer of the order or the subscription, and its
operator tasks with their due times and escalation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.models import ClaimEvent, OperatorTask
    from activities.store import StoreActivities
    from domain.claims import ClaimInput, ClaimSnapshot
    from domain.status import ClaimStatus

from workflows.shared.deadlines import overdue
from workflows.shared.recorder import Entry, Owner, Recorder


def _at(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def claim_details(snap: ClaimSnapshot) -> str:
    """The few lines of markdown the Web UI shows as a claim's current details."""
    owner = (
        f"order `{snap.order_id}`" if snap.order_id else f"subscription `{snap.subscription_id}`"
    )
    rows = [f"**Status:** `{snap.status.value}`", f"**Kind:** {snap.kind.value} · {owner}"]
    if snap.answer_by and not snap.status.is_final:
        rows.append(f"**Answer by:** {_at(snap.answer_by)}")
    if snap.warranty is not None and snap.warranty.ends_at:
        covered = "covered" if snap.warranty.covered else "not covered"
        rows.append(f"**Warranty:** {covered}, until {_at(snap.warranty.ends_at)}")
    if snap.void_conditions:
        rows.append(f"**Void:** {', '.join(snap.void_conditions)}")
    if snap.repair_due_at and not snap.status.is_final:
        waits = (
            f" ({snap.spare_part_wait_days} days of spare parts)"
            if snap.spare_part_wait_days
            else ""
        )
        rows.append(f"**Repair due:** {_at(snap.repair_due_at)}{waits}")
    if snap.quote is not None:
        rows.append(f"**Quote:** {snap.quote}" + (" (paid)" if snap.quote_paid else ""))
    if snap.outcome:
        rows.append(
            f"**Outcome:** {snap.outcome}" + (f" by {snap.operator}" if snap.operator else "")
        )
    if snap.escalated:
        rows.append(f"**Escalated:** {', '.join(snap.escalated)}")
    return "\n\n".join(rows)


class ClaimContext(Recorder):
    def __init__(self, claim: ClaimInput) -> None:
        self.input = claim
        self.policy = claim.policy
        self.snapshot = ClaimSnapshot(
            claim_id=claim.claim_id,
            kind=claim.kind,
            status=ClaimStatus.OPEN,
            order_id=claim.order_id,
            subscription_id=claim.subscription_id,
            sku=claim.sku,
            answer_by=claim.answer_by,
            warranty=claim.warranty,
        )
        self.owner = Owner(
            key=claim.claim_id,
            order_id=claim.order_id,
            subscription_id=claim.subscription_id,
            ref=claim.claim_id,
            priority=claim.priority,
            facts={"claim_id": claim.claim_id},
        )
        self._seq = 0

    @property
    def claim_id(self) -> str:
        return self.input.claim_id

    def _set_status(self, status: Any) -> None:
        self.snapshot.status = status

    def details(self) -> str:
        return claim_details(self.snapshot)

    def _entry(self, entry: Entry) -> tuple[Callable[[Any, ClaimEvent], Awaitable[None]], Any]:
        event = ClaimEvent(
            **entry.written(
                claim_id=self.claim_id,
                status=entry.status.value if entry.status else None,
                snapshot=self.snapshot.model_dump(mode="json"),
            )
        )
        return StoreActivities.record_claim_event, event

    def _mail_key(self, template: str, key: str | None) -> str | None:
        return f"{self.claim_id}:{template}"

    def _subscription_mail_key(self, template: str, key: str | None) -> str:
        return f"{self.claim_id}:{template}"

    async def watch(self, task: OperatorTask, done: Any) -> None:
        """Escalate the task when its due time passes with it still open, on the timeline."""
        if task.due_at is None or not await overdue(task, done):
            return
        self.snapshot.escalated = (*self.snapshot.escalated, task.kind)
        await self.record(
            f"{task.kind}_overdue",
            None,
            f"{task.kind} was due at {_at(task.due_at)}: escalated to the operators",
            task.clauses,
            details={"task": task.kind},
        )
