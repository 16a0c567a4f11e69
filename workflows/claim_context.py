"""What every step of a claim shares: its input and snapshot, its timeline (the read model and
the Web UI's details), its e-mails to the customer of the order or the subscription, and its
operator tasks with their due times and escalation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.mail import MailActivities
    from activities.models import ClaimEvent, OperatorTask
    from activities.store import StoreActivities
    from domain.claims import ClaimInput, ClaimSnapshot
    from domain.status import ClaimStatus
    from domain.subscriptions import SendSubscriptionEmail
    from workflows.context import iso_deadlines, overdue, run_local, send_email, set_task


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


class ClaimContext:
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
        self._seq = 0

    @property
    def claim_id(self) -> str:
        return self.input.claim_id

    async def record(
        self,
        kind: str,
        status: ClaimStatus | None,
        summary: str,
        clauses: tuple[str, ...],
        *,
        details: dict[str, Any] | None = None,
        deadlines: dict[str, datetime | None] | None = None,
    ) -> None:
        """One timeline entry of the claim, and its read model as it stands after it."""
        self._seq += 1
        if status is not None:
            self.snapshot.status = status
        workflow.set_current_details(claim_details(self.snapshot))
        entry = ClaimEvent(
            claim_id=self.claim_id,
            seq=self._seq,
            at=workflow.now(),
            kind=kind,
            summary=summary,
            status=status.value if status else None,
            clauses=clauses,
            details=details or {},
            snapshot=self.snapshot.model_dump(mode="json"),
            deadlines=iso_deadlines(deadlines),
        )
        await run_local(StoreActivities.record_claim_event, entry, kind)

    async def email(self, template: str, facts: dict[str, Any] | None = None) -> None:
        """One of the claim's e-mails to the customer, sent once."""
        facts = {"claim_id": self.claim_id, **(facts or {})}
        key = f"{self.claim_id}:{template}"
        if self.input.order_id is not None:
            await send_email(self.input.order_id, template, facts, key=key)
            return
        assert self.input.subscription_id is not None
        message = SendSubscriptionEmail(
            subscription_id=self.input.subscription_id,
            template=template,
            idempotency_key=f"{self.input.subscription_id}:email:{key}",
            facts={k: str(v) for k, v in facts.items() if v is not None},
        )
        await run_local(MailActivities.send_subscription_email, message, f"e-mail {template}")

    def task_of(
        self,
        kind: str,
        summary: str = "",
        clauses: tuple[str, ...] = (),
        due_at: datetime | None = None,
        closed: bool = False,
    ) -> OperatorTask:
        return OperatorTask(
            task_key=f"{self.claim_id}:{kind}",
            order_id=self.input.order_id,
            subscription_id=self.input.subscription_id,
            ref=self.claim_id,
            kind=kind,
            summary=summary,
            due_at=due_at,
            clauses=clauses,
            closed=closed,
            priority=self.input.priority,
        )

    async def task(
        self,
        kind: str,
        summary: str = "",
        clauses: tuple[str, ...] = (),
        *,
        due_at: datetime | None = None,
        closed: bool = False,
    ) -> OperatorTask:
        """Open (or close) the claim's task of this kind on the operators' list."""
        task = self.task_of(kind, summary, clauses, due_at, closed)
        await set_task(task)
        return task

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
