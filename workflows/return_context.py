"""What every step of a return shares: its input and snapshot, its timeline (the read model,
the `ReturnStatus` attribute, the Web UI's details), its e-mails and its operator tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.models import OperatorTask, ReturnEvent
    from activities.store import StoreActivities
    from domain.returns import ReturnSnapshot, ReturnWorkflowInput
    from domain.status import ReturnStatus
    from workflows.context import iso_deadlines, run_local, send_email, set_task
    from workflows.names import RETURN_STATUS


def _at(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def return_details(snapshot: ReturnSnapshot) -> str:
    """The few lines of markdown the Web UI shows as a return's current details."""
    rows = [
        f"**Status:** `{snapshot.status.value}`",
        f"**Order:** `{snapshot.order_id}` · {snapshot.reason.value} · {snapshot.resolution.value}",
    ]
    for line in snapshot.lines:
        rows.append(
            f"**{line.sku}** x {line.quantity}: parcel {line.parcel.value}, "
            f"inspection {line.inspection.value}"
        )
    if snapshot.approved_by:
        rows.append(f"**Approved by:** {snapshot.approved_by}")
    if snapshot.ship_back_by and snapshot.received_at is None:
        rows.append(f"**To be sent by:** {_at(snapshot.ship_back_by)}")
    if snapshot.tracking_number and snapshot.carrier:
        rows.append(f"**Parcel back:** {snapshot.carrier.value} `{snapshot.tracking_number}`")
    if snapshot.refund_pay_by and snapshot.refunded is None:
        rows.append(f"**Refund due by:** {_at(snapshot.refund_pay_by)}")
    if snapshot.refunded is not None:
        rows.append(f"**Refunded:** {snapshot.refunded}")
    return "\n\n".join(rows)


class ReturnContext:
    def __init__(self, request: ReturnWorkflowInput) -> None:
        self.input = request
        self.policy = request.policy
        self.snapshot = ReturnSnapshot(
            rma_id=request.rma_id,
            order_id=request.order_id,
            status=ReturnStatus.REQUESTED,
            reason=request.reason,
            resolution=request.resolution,
            lines=request.lines,
        )
        self._seq = 0

    @property
    def rma_id(self) -> str:
        return self.input.rma_id

    async def record(
        self,
        kind: str,
        status: ReturnStatus | None,
        summary: str,
        clauses: tuple[str, ...],
        *,
        details: dict[str, Any] | None = None,
        deadlines: dict[str, datetime] | None = None,
    ) -> None:
        """One timeline entry of the return, and its read model as it stands after it."""
        self._seq += 1
        if status is not None:
            self.snapshot.status = status
            workflow.upsert_search_attributes([RETURN_STATUS.value_set(status.value)])
        workflow.set_current_details(return_details(self.snapshot))
        entry = ReturnEvent(
            rma_id=self.rma_id,
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
        await run_local(StoreActivities.record_return_event, entry, kind)

    async def email(self, template: str, facts: dict[str, Any] | None = None) -> None:
        """One of the return's e-mails, sent once."""
        facts = {"rma_id": self.rma_id, **(facts or {})}
        await send_email(self.input.order_id, template, facts, key=self.rma_id)

    async def task(
        self,
        kind: str,
        summary: str = "",
        clauses: tuple[str, ...] = (),
        *,
        due_at: datetime | None = None,
        closed: bool = False,
    ) -> None:
        """Open (or close) the return's task of this kind on the operators' list."""
        task = OperatorTask(
            task_key=f"{self.rma_id}:{kind}",
            order_id=self.input.order_id,
            kind=kind,
            summary=summary,
            due_at=due_at,
            clauses=clauses,
            closed=closed,
            ref=self.rma_id,
            priority=self.input.priority,
        )
        await set_task(task)
