"""OrderWorkflow: one order from payment to the close of its return window."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.models import (
        AuthorizePayment,
        BuyLabel,
        CapturePayment,
        OrderEvent,
        SendOrderEmail,
    )
    from activities.orders import OrderActivities
    from domain.decisions import merged
    from domain.decisions.fulfilment import choose_carrier, dispatch_slot
    from domain.decisions.returns import returns_close_at
    from domain.orders import OrderSnapshot, OrderWorkflowInput, Shipment, TrackingEvent
    from domain.status import TRACKING_RANK, OrderStatus, TrackingStatus
    from workflows.names import (
        CARRIER,
        ORDER_STATUS,
        QUERY_ORDER,
        SIGNAL_CARRIER_EVENT,
        SIGNAL_PAYMENT_EVENT,
    )

_SHORT = dict(
    start_to_close_timeout=timedelta(seconds=30),
    retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
)
# Money-moving calls carry idempotency keys the provider keeps for 24 hours: every retry
# must happen well inside that, so such activities give up after one hour.
_MONEY = dict(
    start_to_close_timeout=timedelta(seconds=30),
    schedule_to_close_timeout=timedelta(hours=1),
    retry_policy=RetryPolicy(
        maximum_interval=timedelta(minutes=1), non_retryable_error_types=["PaymentRejected"]
    ),
)


@workflow.defn(name="OrderWorkflow")
class OrderWorkflow:
    def __init__(self) -> None:
        self._order: OrderSnapshot | None = None
        self._seq = 0
        self._seen_events: set[str] = set()
        self._tracking_inbox: list[TrackingEvent] = []

    @workflow.query(name=QUERY_ORDER)
    def order(self) -> OrderSnapshot | None:
        return self._order

    @workflow.signal(name=SIGNAL_CARRIER_EVENT)
    def carrier_event(self, event: TrackingEvent) -> None:
        if event.event_id not in self._seen_events:
            self._seen_events.add(event.event_id)
            self._tracking_inbox.append(event)

    @workflow.signal(name=SIGNAL_PAYMENT_EVENT)
    def payment_event(self, event: dict[str, Any]) -> None:
        """The provider's account of a payment this workflow already moved synchronously:
        noted once, for the operator's log."""
        event_id = str(event.get("event_id", ""))
        if event_id and event_id not in self._seen_events:
            self._seen_events.add(event_id)
            workflow.logger.info(
                "payment event", extra={"event_type": event.get("type"), "event_id": event_id}
            )

    @workflow.run
    async def run(self, order: OrderWorkflowInput) -> OrderSnapshot:
        self._order = OrderSnapshot(order_id=order.order_id, status=OrderStatus.PENDING_PAYMENT)
        policy = order.policy
        oid = order.order_id
        card = policy.payment.card
        payment_clauses = merged(policy.payment.methods.clauses, card.clauses if card else ())

        auth = await workflow.execute_activity_method(
            OrderActivities.authorize_payment,
            AuthorizePayment(
                order_id=oid,
                amount=order.total,
                payment_token=order.payment_token or "",
                idempotency_key=f"{oid}:authorization:1",
                clauses=payment_clauses,
            ),
            summary="authorise payment",
            **_MONEY,
        )
        if auth.state != "authorized":
            await self._record(
                oid,
                "payment_failed",
                OrderStatus.PAYMENT_FAILED,
                f"payment {auth.state}: {auth.decline_code or 'no reason given'}",
                payment_clauses,
                details={"payment_id": auth.payment_id},
            )
            await self._email(oid, "payment_failed", {"reason": auth.decline_code or auth.state})
            return self._order

        await workflow.execute_activity_method(
            OrderActivities.capture_payment,
            CapturePayment(
                order_id=oid,
                payment_id=auth.payment_id,
                amount=order.total,
                idempotency_key=f"{oid}:capture:1",
                clauses=payment_clauses,
            ),
            summary="capture payment",
            **_MONEY,
        )
        self._order.paid_at = workflow.now()
        await self._record(
            oid,
            "paid",
            OrderStatus.PAID,
            f"payment of {order.total} captured",
            payment_clauses,
            details={"payment_id": auth.payment_id},
            deadlines={"paid_at": self._order.paid_at.isoformat()},
        )
        await self._email(oid, "order_confirmation")

        slot = dispatch_slot(policy, self._order.paid_at)
        wait = slot.at - workflow.now()
        if wait > timedelta(0):
            await self._record(
                oid,
                "dispatch_scheduled",
                None,
                f"leaves at {slot.at.isoformat()}",
                slot.clauses,
                deadlines={"dispatch_at": slot.at.isoformat()},
            )
            await workflow.sleep(wait, summary="dispatch slot")
        carrier, carrier_clauses = choose_carrier(policy, order.destination_country)
        shipping_clauses = merged(slot.clauses, carrier_clauses)
        await self._record(
            oid,
            "fulfilment_started",
            OrderStatus.FULFILLING,
            "handed to fulfilment",
            shipping_clauses or payment_clauses,
        )
        label = await workflow.execute_activity_method(
            OrderActivities.buy_shipping_label,
            BuyLabel(order_id=oid, carrier=carrier, idempotency_key=f"{oid}:label:1"),
            summary=f"buy {carrier.value} label",
            **_SHORT,
        )
        tracking = policy.shipping.tracking if policy.shipping else None
        tracking_clauses = merged(carrier_clauses, tracking.clauses if tracking else ()) or (
            shipping_clauses or payment_clauses
        )
        self._order.shipments.append(
            Shipment(
                carrier=label.carrier,
                label_id=label.label_id,
                tracking_number=label.tracking_number,
            )
        )
        workflow.upsert_search_attributes([CARRIER.value_set(label.carrier.value)])
        await self._record(
            oid,
            "shipped",
            OrderStatus.SHIPPED,
            f"label bought from {label.carrier.value}, tracking {label.tracking_number}",
            tracking_clauses,
        )
        await self._email(
            oid,
            "shipment_tracking",
            {"carrier": label.carrier.value, "tracking_number": label.tracking_number},
        )

        await self._follow_parcels(oid, tracking_clauses)
        if self._order.status is not OrderStatus.DELIVERED:
            return self._order

        assert self._order.delivered_at is not None
        window = returns_close_at(policy, order.placed_at, self._order.delivered_at)
        if window is None:
            await self._record(
                oid,
                "completed",
                OrderStatus.COMPLETED,
                "delivered; no return window",
                tracking_clauses,
            )
            return self._order
        self._order.return_window_closes_at = window.at
        await self._record(
            oid,
            "return_window_opened",
            None,
            f"returns accepted until {window.at.isoformat()}",
            window.clauses,
            deadlines={"return_window_closes_at": window.at.isoformat()},
        )
        remaining = window.at - workflow.now()
        if remaining > timedelta(0):
            await workflow.sleep(remaining, summary="return window")
        await self._record(
            oid, "completed", OrderStatus.COMPLETED, "return window closed", window.clauses
        )
        return self._order

    async def _follow_parcels(self, oid: str, clauses: tuple[str, ...]) -> None:
        """Apply carrier events until every parcel is delivered, or one is lost or sent back."""
        assert self._order is not None
        while True:
            await workflow.wait_condition(lambda: bool(self._tracking_inbox))
            events, self._tracking_inbox = self._tracking_inbox, []
            for event in sorted(events, key=lambda e: e.occurred_at):
                outcome = self._apply_tracking(event)
                if outcome is not None:
                    status, summary = outcome
                    await self._record(
                        oid,
                        f"tracking_{event.status.value}",
                        status,
                        summary,
                        clauses,
                        details={
                            "tracking_number": event.tracking_number,
                            "event_id": event.event_id,
                        },
                    )
            if self._order.status in (
                OrderStatus.DELIVERED,
                OrderStatus.LOST,
                OrderStatus.RETURNED_TO_SENDER,
            ):
                return

    def _apply_tracking(self, event: TrackingEvent) -> tuple[OrderStatus, str] | None:
        """Move a parcel forward (never back); the order's new status when it changes."""
        assert self._order is not None
        parcel = next(
            (s for s in self._order.shipments if s.tracking_number == event.tracking_number), None
        )
        if parcel is None or TRACKING_RANK[event.status] <= TRACKING_RANK[parcel.status]:
            return None
        parcel.status = event.status
        if event.status is TrackingStatus.DELIVERED:
            parcel.delivered_at = event.occurred_at
        statuses = {s.status for s in self._order.shipments}
        if statuses == {TrackingStatus.DELIVERED}:
            self._order.delivered_at = max(
                s.delivered_at for s in self._order.shipments if s.delivered_at is not None
            )
            return OrderStatus.DELIVERED, "every parcel delivered"
        if event.status is TrackingStatus.LOST:
            return OrderStatus.LOST, f"parcel {event.tracking_number} declared lost by the carrier"
        if event.status is TrackingStatus.RETURN_TO_SENDER:
            return OrderStatus.RETURNED_TO_SENDER, f"parcel {event.tracking_number} is coming back"
        if self._order.status is OrderStatus.SHIPPED and event.status in (
            TrackingStatus.IN_TRANSIT,
            TrackingStatus.OUT_FOR_DELIVERY,
        ):
            return OrderStatus.IN_TRANSIT, f"parcel {event.tracking_number} {event.status.value}"
        return None

    async def _record(
        self,
        oid: str,
        kind: str,
        status: OrderStatus | None,
        summary: str,
        clauses: tuple[str, ...],
        *,
        details: dict[str, Any] | None = None,
        deadlines: dict[str, Any] | None = None,
    ) -> None:
        assert self._order is not None
        self._seq += 1
        if status is not None:
            self._order.status = status
            workflow.upsert_search_attributes([ORDER_STATUS.value_set(status.value)])
        workflow.set_current_details(self._details_markdown())
        await workflow.execute_activity_method(
            OrderActivities.record_order_event,
            OrderEvent(
                order_id=oid,
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
            **_SHORT,
        )

    async def _email(self, oid: str, template: str, facts: dict[str, Any] | None = None) -> None:
        await workflow.execute_activity_method(
            OrderActivities.send_order_email,
            SendOrderEmail(
                order_id=oid,
                template=template,
                idempotency_key=f"{oid}:email:{template}",
                facts=facts or {},
            ),
            summary=f"e-mail {template}",
            **_SHORT,
        )

    def _details_markdown(self) -> str:
        assert self._order is not None
        o = self._order
        rows = [f"**Status:** `{o.status.value}`"]
        if o.paid_at:
            rows.append(f"**Paid:** {o.paid_at.isoformat(timespec='seconds')}")
        for s in o.shipments:
            rows.append(f"**Parcel:** {s.carrier.value} `{s.tracking_number}` ({s.status.value})")
        if o.return_window_closes_at:
            rows.append(
                f"**Returns until:** {o.return_window_closes_at.isoformat(timespec='seconds')}"
            )
        return "\n\n".join(rows)
