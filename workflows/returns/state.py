"""What every step of a return shares: its input and snapshot, its timeline (the read model,
the `ReturnStatus` attribute, the Web UI's details), its e-mails and its operator tasks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.models import ReturnEvent
    from activities.store import StoreActivities
    from domain.decisions.rma import inspection_complete
    from domain.errors import ErrorType
    from domain.returns import (
        ExchangeChoice,
        Inspection,
        ReturnReceipt,
        ReturnRefundPaid,
        ReturnReview,
        ReturnShipment,
        ReturnSnapshot,
        ReturnWorkflowInput,
    )
    from domain.status import ReturnStatus

from workflows.names import RETURN_STATUS
from workflows.shared.recorder import Entry, Owner, Recorder
from workflows.shared.refusals import refusal


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


@dataclass
class ReturnProgress:
    """Where the return's steps stand, as its handlers and steps move it."""

    review: ReturnReview | None = None  # the operator's, where approval comes first
    sent_at: datetime | None = None  # the parcel left the customer
    arrived_by: str | None = None  # the scan or the operator that saw it arrive
    lost: bool = False  # the carrier lost the parcel on its way back
    seen: set[str] = field(default_factory=set)  # carrier event IDs applied
    sent_recorded: bool = False
    inspection: Inspection | None = None
    choice: ExchangeChoice | None = None  # the customer's, when the exchange is out of stock
    choosing: bool = False
    paid: ReturnRefundPaid | None = None  # the order's answer to the refund asked
    settled: bool = False


class ReturnContext(Recorder):
    status_attribute = RETURN_STATUS

    def __init__(self, request: ReturnWorkflowInput) -> None:
        self.input = request
        self.policy = request.policy
        self.snapshot = ReturnSnapshot.opening(request)
        self.owner = Owner(
            key=request.rma_id,
            order_id=request.order_id,
            ref=request.rma_id,
            priority=request.priority,
            facts={"rma_id": request.rma_id},
        )
        self.progress = ReturnProgress()
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
            **entry.written(
                rma_id=self.rma_id,
                status=entry.status.value if entry.status else None,
                snapshot=self.snapshot.model_dump(mode="json"),
            )
        )
        return StoreActivities.record_return_event, event

    def _mail_key(self, template: str, key: str | None) -> str | None:
        return self.rma_id

    # -- the validators of the return's updates ----------------------------------------

    def check_review(self, review: ReturnReview) -> None:
        rules = self.policy.returns
        clauses = rules.rma.clauses if rules and rules.rma else ()
        if not self.input.needs_approval:
            raise refusal(
                "this return needed no approval: it was approved at once",
                clauses,
                ErrorType.RETURN_REFUSED,
            )
        if self.progress.review is not None:
            raise refusal(
                f"the return is {self.snapshot.status.value}: already reviewed",
                (),
                ErrorType.RETURN_REFUSED,
            )

    def check_give_shipment(self, shipment: ReturnShipment) -> None:
        snap = self.snapshot
        rules = self.policy.returns
        clauses = rules.rma.clauses if rules and rules.rma else ()
        if snap.status is not ReturnStatus.AWAITING_PARCEL or self.progress.sent_at is not None:
            raise refusal(
                f"the return is {snap.status.value}: it is not waiting for a parcel",
                clauses,
                ErrorType.RETURN_REFUSED,
            )
        if self.input.seller_label:
            raise refusal(
                "this return travels on the seller's return label",
                clauses,
                ErrorType.RETURN_REFUSED,
            )

    def check_receive(self, receipt: ReturnReceipt) -> None:
        snap = self.snapshot
        if snap.status is not ReturnStatus.AWAITING_PARCEL or self.progress.arrived_by is not None:
            raise refusal(
                f"the return is {snap.status.value}: it is not waiting for a parcel",
                (),
                ErrorType.RETURN_REFUSED,
            )

    def check_inspect(self, inspection: Inspection) -> None:
        snap = self.snapshot
        if snap.status is not ReturnStatus.RECEIVED or self.progress.inspection is not None:
            raise refusal(
                f"the return is {snap.status.value}: nothing to inspect",
                (),
                ErrorType.RETURN_REFUSED,
            )
        complete = inspection_complete(
            snap.reason,
            [line.sku for line in snap.lines],
            [(line.sku, line.defect_confirmed) for line in inspection.lines],
        )
        if not complete.allowed:
            raise refusal(complete.reason, complete.clauses, ErrorType.RETURN_REFUSED)

    def check_choose(self, choice: ExchangeChoice) -> None:
        if not self.progress.choosing or self.progress.choice is not None:
            raise refusal(
                "the return is not waiting for the customer's choice", (), ErrorType.RETURN_REFUSED
            )
        if choice.refund == (choice.sku is not None):
            raise refusal(
                "choose either the refund or another product's SKU", (), ErrorType.RETURN_REFUSED
            )
