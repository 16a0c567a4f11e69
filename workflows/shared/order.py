"""The order every component works on: its input and pinned policy, its snapshot (what the
read model, the `OrderStatus` attribute and the Web UI's details show), and its timeline,
e-mails and operator tasks. Each component keeps a part of the order's state of its own beside
it (`workflows.order.state`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.models import OrderEvent
    from activities.store import StoreActivities
    from domain.decisions import merged
    from domain.decisions.changes import OrderFacts
    from domain.money import Money
    from domain.orders import OrderLine, OrderSnapshot, OrderWorkflowInput
    from domain.status import OrderStatus

from workflows.names import ORDER_STATUS
from workflows.shared.recorder import Entry, Owner, Recorder


def _at(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def current_details(order: OrderSnapshot, more: list[str] | None = None) -> str:
    rows = [f"**Status:** `{order.status.value}`"]
    if order.fraud_score is not None:
        signals = ", ".join(order.fraud_signals) or "none"
        rows.append(f"**Fraud score:** {order.fraud_score} (signals: {signals})")
        if order.review_by and order.status.value == "fraud_review":
            rows.append(f"**Review by:** {_at(order.review_by)}")
    if order.paid_at:
        rows.append(f"**Paid:** {_at(order.paid_at)}")
    if order.edit_window_closes_at and not order.fulfilment_started_at:
        rows.append(f"**Editable until:** {_at(order.edit_window_closes_at)}")
    if order.dispatch_at and not order.fulfilment_started_at:
        rows.append(f"**To the warehouse at:** {_at(order.dispatch_at)}")
    if order.pickup_at and not order.shipped_at:
        rows.append(f"**Carrier collects at:** {_at(order.pickup_at)}")
    for parcel in order.shipments:
        rows.append(
            f"**Parcel:** {parcel.carrier.value} `{parcel.tracking_number}` ({parcel.status.value})"
        )
    if order.pay_reshipping_by:
        rows.append(f"**Came back; reshipping to be paid by:** {_at(order.pay_reshipping_by)}")
    if order.return_window_closes_at:
        rows.append(f"**Returns until:** {_at(order.return_window_closes_at)}")
    if order.lines is not None:
        bought = ", ".join(f"{line.quantity} × `{line.sku}`" for line in order.lines)
        rows.append(f"**Lines, as changed:** {bought}; total {order.total}")
    if order.refunded is not None:
        rows.append(f"**Refunded:** {order.refunded}")
    return "\n\n".join(rows + (more or []))


class OrderContext(Recorder):
    status_attribute = ORDER_STATUS
    mail_off_the_path = True
    store_off_the_path = True

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

    @property
    def lines(self) -> list[OrderLine]:
        """The order's lines as they stand: as placed, or as last edited."""
        return self.order.lines if self.order.lines is not None else self.input.lines

    @property
    def shipping_total(self) -> Money:
        return self.order.shipping_total or self.input.shipping_total

    @property
    def total(self) -> Money:
        return self.order.total or self.input.total

    def facts(self, cancelling: bool = False) -> OrderFacts:
        """Where the order stands for the policy's decisions. A handover already scheduled
        counts: a window that closes when fulfilment starts closes at that slot."""
        order = self.order
        return OrderFacts(
            cancelling=cancelling,
            lines=self.lines,
            shipping_paid=self.shipping_total,
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
            **entry.written(
                order_id=self.order_id,
                shipments=[s.model_dump(mode="json") for s in self.order.shipments],
            )
        )
        return StoreActivities.record_order_event, event
