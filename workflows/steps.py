"""The steps an order workflow takes between its decisions: recording a timeline entry,
sending an e-mail, following the parcels, carrying out a cancellation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.models import OrderEvent, RefundPayment, SendOrderEmail, VoidPayment
    from activities.orders import OrderActivities
    from domain.decisions.changes import Cancellation, OrderFacts
    from domain.decisions.tracking import apply_scan
    from domain.money import Money
    from domain.orders import CancelOutcome, OrderSnapshot, OrderWorkflowInput, TrackingEvent
    from domain.status import OrderStatus
    from workflows.details import current_details
    from workflows.names import ORDER_STATUS

SHORT: dict[str, Any] = dict(
    start_to_close_timeout=timedelta(seconds=30),
    retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
)
# Money-moving calls carry idempotency keys the provider keeps for 24 hours: every retry
# must happen well inside that, so such activities give up after one hour.
MONEY: dict[str, Any] = dict(
    start_to_close_timeout=timedelta(seconds=30),
    schedule_to_close_timeout=timedelta(hours=1),
    retry_policy=RetryPolicy(
        maximum_interval=timedelta(minutes=1), non_retryable_error_types=["PaymentRejected"]
    ),
)
ENDED = (OrderStatus.DELIVERED, OrderStatus.LOST, OrderStatus.RETURNED_TO_SENDER)


class OrderSteps:
    def __init__(self) -> None:
        self._input: OrderWorkflowInput | None = None
        self._order: OrderSnapshot | None = None
        self._seq = 0
        self._seen_events: set[str] = set()
        self._tracking_inbox: list[TrackingEvent] = []
        self._cancel: Cancellation | None = None
        self._cancel_outcome: CancelOutcome | None = None
        self._address_changes_running = 0

    def _facts(self) -> OrderFacts:
        assert self._input is not None and self._order is not None
        return OrderFacts(
            lines=self._input.lines,
            shipping_paid=self._input.shipping_total,
            paid_at=self._order.paid_at,
            fulfilment_started_at=self._order.fulfilment_started_at,
            shipped_at=self._order.shipped_at,
        )

    async def _carry_out_cancellation(self) -> OrderSnapshot:
        """Give back what the cancellation decided when it was asked for, once."""
        assert self._input is not None and self._order is not None and self._cancel is not None
        oid, decided = self._input.order_id, self._cancel
        refund = decided.refund
        if self._order.captured and refund.amount > 0:
            await workflow.execute_activity_method(
                OrderActivities.refund_payment,
                RefundPayment(
                    order_id=oid,
                    payment_id=self._order.payment_id or "",
                    amount=refund,
                    idempotency_key=f"{oid}:refund:cancellation",
                    clauses=decided.decision.clauses,
                ),
                summary="refund cancelled order",
                **MONEY,
            )
        elif self._order.payment_id and not self._order.captured:
            await workflow.execute_activity_method(
                OrderActivities.void_payment,
                VoidPayment(
                    order_id=oid,
                    payment_id=self._order.payment_id,
                    amount=self._input.total,
                    idempotency_key=f"{oid}:void:1",
                    clauses=decided.decision.clauses,
                ),
                summary="void authorisation",
                **MONEY,
            )
            refund = Money.zero(refund.currency)
        self._order.refunded = refund
        await self._record(
            "cancelled",
            OrderStatus.CANCELLED,
            f"cancelled; {refund} refunded",
            decided.decision.clauses,
            details={"refund": str(refund)},
        )
        await self._email("order_cancelled", {"refund": str(refund)})
        self._cancel_outcome = CancelOutcome(
            status=OrderStatus.CANCELLED, refund=refund, clauses=decided.decision.clauses
        )
        return self._order

    async def _follow_parcels(self, clauses: tuple[str, ...]) -> None:
        """Apply carrier scans until every parcel is delivered, or one is lost or sent back."""
        assert self._order is not None
        while self._order.status not in ENDED:
            await workflow.wait_condition(lambda: bool(self._tracking_inbox))
            events, self._tracking_inbox = self._tracking_inbox, []
            for event in sorted(events, key=lambda e: e.occurred_at):
                outcome = apply_scan(self._order, event)
                if outcome is None:
                    continue
                self._order = outcome.order
                if outcome.status is not None:
                    await self._record(
                        f"tracking_{event.status.value}",
                        outcome.status,
                        outcome.summary,
                        clauses,
                        details={
                            "tracking_number": event.tracking_number,
                            "event_id": event.event_id,
                        },
                    )

    async def _record(
        self,
        kind: str,
        status: OrderStatus | None,
        summary: str,
        clauses: tuple[str, ...],
        *,
        details: dict[str, Any] | None = None,
        deadlines: dict[str, Any] | None = None,
    ) -> None:
        """One timeline entry: the read model, the `OrderStatus` attribute, the UI details."""
        assert self._order is not None and self._input is not None
        self._seq += 1
        if status is not None:
            self._order.status = status
            workflow.upsert_search_attributes([ORDER_STATUS.value_set(status.value)])
        workflow.set_current_details(current_details(self._order))
        await workflow.execute_activity_method(
            OrderActivities.record_order_event,
            OrderEvent(
                order_id=self._input.order_id,
                seq=self._seq,
                at=workflow.now(),
                kind=kind,
                summary=summary,
                status=status,
                clauses=clauses,
                details=details or {},
                shipments=[s.model_dump(mode="json") for s in self._order.shipments],
                deadlines=deadlines,
            ),
            summary=kind,
            **SHORT,
        )

    async def _email(self, template: str, facts: dict[str, Any] | None = None) -> None:
        assert self._input is not None
        oid = self._input.order_id
        await workflow.execute_activity_method(
            OrderActivities.send_order_email,
            SendOrderEmail(
                order_id=oid,
                template=template,
                idempotency_key=f"{oid}:email:{template}",
                facts=facts or {},
            ),
            summary=f"e-mail {template}",
            **SHORT,
        )
