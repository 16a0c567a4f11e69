"""The order's own state: its input and pinned policy, its snapshot (what the read model, the
`OrderStatus` attribute and the Web UI's details show), and its timeline, e-mails and operator
tasks. The components each keep a part of their own beside it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.models import OrderEvent
    from activities.store import StoreActivities
    from domain.decisions import merged
    from domain.decisions.changes import OrderFacts
    from domain.orders import OrderSnapshot, OrderWorkflowInput
    from domain.status import OrderStatus
    from workflows.names import ORDER_STATUS
    from workflows.order.details import current_details
    from workflows.shared.recorder import Entry, Owner, Recorder


class OrderContext(Recorder):
    status_attribute = ORDER_STATUS

    def __init__(self, order: OrderWorkflowInput) -> None:
        self.input = order
        self.policy = order.policy
        self.order = OrderSnapshot(order_id=order.order_id, status=OrderStatus.PENDING_PAYMENT)
        self.owner = Owner(key=order.order_id, order_id=order.order_id)
        self._seq = 0
        # rows a component adds to the Web UI's details (the digital cards)
        self.more_details: Callable[[], list[str]] = list

    @property
    def order_id(self) -> str:
        return self.input.order_id

    def facts(self, cancelling: bool = False) -> OrderFacts:
        """Where the order stands for the policy's decisions. A handover already scheduled
        counts: a window that closes when fulfilment starts closes at that slot."""
        order = self.order
        return OrderFacts(
            cancelling=cancelling,
            lines=self.input.lines,
            shipping_paid=self.input.shipping_total,
            paid_at=order.paid_at,
            fulfilment_started_at=order.fulfilment_started_at or order.dispatch_at,
            shipped_at=order.shipped_at,
        )

    def payment_clauses(self) -> tuple[str, ...]:
        payment = self.policy.payment
        return merged(payment.methods.clauses, payment.card.clauses if payment.card else ())

    def _set_status(self, status: Any) -> None:
        self.order.status = status

    def details(self) -> str:
        return current_details(self.order, self.more_details())

    def _entry(self, entry: Entry) -> tuple[Callable[[Any, OrderEvent], Awaitable[None]], Any]:
        event = OrderEvent(
            order_id=self.order_id,
            seq=entry.seq,
            at=workflow.now(),
            kind=entry.kind,
            summary=entry.summary,
            status=entry.status,
            clauses=entry.clauses or (),
            details=entry.details,
            shipments=[s.model_dump(mode="json") for s in self.order.shipments],
            deadlines=entry.deadlines,
        )
        return StoreActivities.record_order_event, event
