"""What every step of a return shares: its input and snapshot, its timeline (the read model,
the `ReturnStatus` attribute, the Web UI's details), its e-mails and its operator tasks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.models import ReturnEvent
    from activities.store import StoreActivities
    from domain.returns import ReturnSnapshot, ReturnWorkflowInput
    from domain.status import ReturnStatus
    from workflows.names import RETURN_STATUS
    from workflows.shared.recorder import Entry, Owner, Recorder


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


class ReturnContext(Recorder):
    status_attribute = RETURN_STATUS

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
        self.owner = Owner(
            key=request.rma_id,
            order_id=request.order_id,
            ref=request.rma_id,
            priority=request.priority,
            facts={"rma_id": request.rma_id},
        )
        self._seq = 0

    @property
    def rma_id(self) -> str:
        return self.input.rma_id

    def _set_status(self, status: Any) -> None:
        self.snapshot.status = status

    def details(self) -> str:
        return return_details(self.snapshot)

    def _entry(self, entry: Entry) -> tuple[Callable[[Any, ReturnEvent], Awaitable[None]], Any]:
        event = ReturnEvent(
            rma_id=self.rma_id,
            seq=entry.seq,
            at=workflow.now(),
            kind=entry.kind,
            summary=entry.summary,
            status=entry.status.value if entry.status else None,
            clauses=entry.clauses or (),
            details=entry.details,
            snapshot=self.snapshot.model_dump(mode="json"),
            deadlines=entry.deadlines,
        )
        return StoreActivities.record_return_event, event

    def _mail_key(self, template: str, key: str | None) -> str | None:
        return self.rma_id
