"""The steps an order workflow takes between its decisions: recording a timeline entry,
sending an e-mail, following the parcels, carrying out a cancellation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.models import (
        BuyLabel,
        CapturePayment,
        ConfirmPayment,
        MovementResult,
        OrderEvent,
        PollTracking,
        RefundPayment,
        ReserveReplacement,
        SendOrderEmail,
        VoidPayment,
    )
    from activities.orders import OrderActivities
    from domain.decisions import merged
    from domain.decisions.changes import Cancellation, OrderFacts
    from domain.decisions.fulfilment import (
        customs_notice,
        delivery_estimate,
        lost_parcel,
        parcel_value,
        reshipping_fee,
        returned_to_sender,
        tracking_email_deadline,
        unclaimed_parcel_refund,
    )
    from domain.decisions.tracking import apply_scan
    from domain.money import Money
    from domain.orders import (
        CancelOutcome,
        OrderSnapshot,
        OrderWorkflowInput,
        Shipment,
        TrackingEvent,
    )
    from domain.policy import Carrier
    from domain.status import OrderStatus, TrackingStatus
    from workflows.details import current_details
    from workflows.names import CARRIER, ORDER_STATUS

SHORT: dict[str, Any] = dict(
    start_to_close_timeout=timedelta(seconds=30),
    retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
)
# Timeline writes and e-mails: local activities, retried by the worker itself; both are
# idempotent (the timeline on (order, seq), e-mails on their key).
LOCAL: dict[str, Any] = dict(
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
# Orders started before this change wait for scans only; later ones also follow up.
PARCEL_FOLLOW_UP = "parcel-follow-up"
# Orders whose parcel came back before this change ended there; later ones offer reshipping.
RESHIPPING = "reshipping"
# Orders started before this change wrote their timeline and sent their e-mails with regular
# activities; later ones run these short, idempotent steps as local activities.
LOCAL_STEPS = "local-steps"


T = TypeVar("T")


def with_calendar(decide: Callable[..., T], *args: Any) -> T:
    """Run a decision that reads the merchant's holiday calendar. The `holidays` package
    builds its tables with locale functions the sandbox forbids; the tables are fixed data,
    so the decision stays deterministic."""
    with workflow.unsafe.sandbox_unrestricted():
        return decide(*args)


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
        self._replacements = 0
        self._parcel_count = 1
        self._reshipping_paid = False
        self._reshipping_running = 0
        self._reshipping_attempts = 0

    def _facts(self) -> OrderFacts:
        assert self._input is not None and self._order is not None
        return OrderFacts(
            lines=self._input.lines,
            shipping_paid=self._input.shipping_total,
            paid_at=self._order.paid_at,
            fulfilment_started_at=self._order.fulfilment_started_at,
            shipped_at=self._order.shipped_at,
        )

    async def _ship(
        self,
        carrier: Carrier,
        parcel_no: int,
        clauses: tuple[str, ...],
        label_no: int | None = None,
    ) -> None:
        """Buy a label, put the parcel on the order, tell the customer its tracking number."""
        assert self._input is not None and self._order is not None
        oid = self._input.order_id
        label = await workflow.execute_activity_method(
            OrderActivities.buy_shipping_label,
            BuyLabel(
                order_id=oid,
                carrier=carrier,
                idempotency_key=f"{oid}:label:{label_no or parcel_no}",
            ),
            summary=f"buy {carrier.value} label",
            **SHORT,
        )
        self._order.shipments.append(
            Shipment(
                carrier=label.carrier,
                label_id=label.label_id,
                tracking_number=label.tracking_number,
                parcel=parcel_no,
            )
        )
        workflow.upsert_search_attributes([CARRIER.value_set(label.carrier.value)])
        promise = tracking_email_deadline(self._input.policy, workflow.now())
        await self._record(
            "shipped",
            OrderStatus.SHIPPED,
            f"label bought from {label.carrier.value}, tracking {label.tracking_number}",
            clauses,
            deadlines={"tracking_email_by": promise.at.isoformat()} if promise else None,
        )
        customs = customs_notice(self._input.policy, self._input.destination_country)
        facts: dict[str, Any] = {
            "carrier": label.carrier.value,
            "tracking_number": label.tracking_number,
        }
        if customs.allowed:
            facts["customs_notice"] = customs.reason
        await self._email(
            "shipment_tracking",
            facts,
            key=None if label_no is None and parcel_no == 1 else label.tracking_number,
        )
        if promise is not None and workflow.now() > promise.at:
            # the mail server kept the message past the promise: on the timeline for operators
            await self._record(
                "tracking_email_late",
                None,
                f"tracking e-mail for {label.tracking_number} sent after {promise.at.isoformat()}",
                promise.clauses,
            )

    async def _replace_lost_parcel(self, carrier: Carrier, clauses: tuple[str, ...]) -> bool:
        """A parcel the carrier lost: reshipped when its items are in stock, else its items
        are refunded. True when a replacement left and there are parcels to follow."""
        assert self._input is not None and self._order is not None
        policy, oid = self._input.policy, self._input.order_id
        rule = policy.shipping.lost_parcel if policy.shipping else None
        lost = next(
            s for s in self._order.shipments if s.status is TrackingStatus.LOST and not s.replaced
        )
        lost.replaced = True
        self._replacements += 1
        in_stock = False
        if rule is not None and rule.reship_if_in_stock:
            in_stock = await workflow.execute_activity_method(
                OrderActivities.reserve_replacement,
                ReserveReplacement(
                    order_id=oid,
                    parcel=lost.parcel,
                    reservation_key=f"{oid}:replacement:{self._replacements}",
                ),
                summary="reserve replacement items",
                **SHORT,
            )
        decision = lost_parcel(policy, in_stock)
        details = {"tracking_number": lost.tracking_number, "parcel": lost.parcel}
        if decision.allowed:
            await self._record(
                "lost_parcel_reshipped", None, decision.reason, decision.clauses, details=details
            )
            await self._email(
                "parcel_lost",
                {"tracking_number": lost.tracking_number, "reshipped": True},
                key=lost.tracking_number,
            )
            await self._ship(
                carrier, lost.parcel, clauses, label_no=self._parcel_count + self._replacements
            )
            return True
        refund = parcel_value(self._input.lines, lost.parcel, self._input.total.currency)
        await self._refund(refund, f"lost:{self._replacements}", decision.clauses, "lost parcel")
        self._add_refunded(refund)
        remaining = [s for s in self._order.shipments if not s.replaced]
        # the other parcels are still on their way: the order is shipped again
        status = OrderStatus.LOST if not remaining else OrderStatus.SHIPPED
        await self._record(
            "lost_parcel_refunded",
            status,
            f"{decision.reason}: {refund} refunded",
            decision.clauses,
            details={**details, "refund": str(refund)},
        )
        await self._email(
            "parcel_lost",
            {"tracking_number": lost.tracking_number, "refund": str(refund)},
            key=lost.tracking_number,
        )
        return bool(remaining)

    async def _settle_returned_parcel(self, carrier: Carrier, clauses: tuple[str, ...]) -> bool:
        """A parcel came back (insufficient address, refused at customs): the customer may pay
        for sending it again to a corrected address until the policy's deadline; otherwise
        its items are refunded less the round trip's cost. True when there are parcels left
        to follow."""
        assert self._input is not None and self._order is not None
        policy = self._input.policy
        back = next(
            s
            for s in self._order.shipments
            if s.status is TrackingStatus.RETURN_TO_SENDER and not s.replaced
        )
        decision = returned_to_sender(policy, workflow.now())
        if not decision.allowed:
            return False  # no published rule: the order waits for an operator's refund
        pay_by = decision.deadlines["pay_reshipping_by"]
        fee = reshipping_fee(policy)
        self._order.pay_reshipping_by = pay_by
        await self._record(
            "reshipping_offered",
            OrderStatus.RETURNED_TO_SENDER,
            f"{decision.reason}: {fee}, to be paid by {pay_by.isoformat()}",
            decision.clauses,
            details={"tracking_number": back.tracking_number, "fee": str(fee)},
            deadlines={"pay_reshipping_by": pay_by.isoformat()},
        )
        await self._email(
            "parcel_returned",
            {
                "tracking_number": back.tracking_number,
                "fee": str(fee),
                "pay_by": pay_by.isoformat(),
            },
            key=back.tracking_number,
        )
        try:
            await workflow.wait_condition(
                lambda: self._reshipping_paid,
                timeout=pay_by - workflow.now(),
                timeout_summary="reshipping payment",
            )
        except TimeoutError:
            pass
        await workflow.wait_condition(lambda: self._reshipping_running == 0)
        self._order.pay_reshipping_by = None
        back.replaced = True
        if self._reshipping_paid:
            self._reshipping_paid = False
            self._replacements += 1
            await self._ship(
                carrier, back.parcel, clauses, label_no=self._parcel_count + self._replacements
            )
            return True
        refund, settled = unclaimed_parcel_refund(
            policy, parcel_value(self._input.lines, back.parcel, self._input.total.currency)
        )
        await self._refund(
            refund, f"returned:{back.tracking_number}", settled.clauses, "returned parcel"
        )
        self._add_refunded(refund)
        remaining = [s for s in self._order.shipments if not s.replaced]
        await self._record(
            "returned_parcel_refunded",
            OrderStatus.SHIPPED if remaining else OrderStatus.RETURNED_TO_SENDER,
            f"{settled.reason}: {refund} refunded",
            settled.clauses,
            details={"tracking_number": back.tracking_number, "refund": str(refund)},
        )
        await self._email(
            "returned_parcel_refunded",
            {"tracking_number": back.tracking_number, "refund": str(refund)},
            key=back.tracking_number,
        )
        return bool(remaining)

    async def _carry_out_cancellation(self) -> OrderSnapshot:
        """Give back what the cancellation decided when it was asked for, once."""
        assert self._input is not None and self._order is not None and self._cancel is not None
        oid, decided = self._input.order_id, self._cancel
        refund = decided.refund
        if self._order.captured:
            await self._refund(refund, "cancellation", decided.decision.clauses, "cancelled order")
        elif self._order.payment_id:
            await self._void(self._order.payment_id, f"{oid}:void:1", decided.decision.clauses)
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

    async def _refund(
        self, amount: Money, purpose: str, clauses: tuple[str, ...], what: str
    ) -> None:
        """Give `amount` back to the order's captured payment, once: the ledger and the
        provider know it by `<order>:refund:<purpose>`."""
        assert self._input is not None and self._order is not None
        if not (self._order.captured and self._order.payment_id and amount.amount > 0):
            return
        oid = self._input.order_id
        await workflow.execute_activity_method(
            OrderActivities.refund_payment,
            RefundPayment(
                order_id=oid,
                payment_id=self._order.payment_id,
                amount=amount,
                idempotency_key=f"{oid}:refund:{purpose}",
                clauses=clauses,
            ),
            summary=f"refund {what}",
            **MONEY,
        )

    def _add_refunded(self, amount: Money) -> None:
        assert self._order is not None
        refunded = self._order.refunded
        self._order.refunded = amount if refunded is None else refunded + amount

    async def _capture_payment(
        self, payment_id: str, amount: Money, key: str, clauses: tuple[str, ...], summary: str
    ) -> None:
        """Take the money of an authorised payment, once under `key`."""
        assert self._input is not None
        await workflow.execute_activity_method(
            OrderActivities.capture_payment,
            CapturePayment(
                order_id=self._input.order_id,
                payment_id=payment_id,
                amount=amount,
                idempotency_key=key,
                clauses=clauses,
            ),
            summary=summary,
            **MONEY,
        )

    async def _void(
        self, payment_id: str, key: str, clauses: tuple[str, ...] | None = None
    ) -> MovementResult:
        """Release a payment not captured; when the provider refuses (it was captured or
        failed meanwhile), the payment is confirmed as it stands instead."""
        assert self._input is not None
        try:
            return await workflow.execute_activity_method(
                OrderActivities.void_payment,
                VoidPayment(
                    order_id=self._input.order_id,
                    payment_id=payment_id,
                    amount=self._input.total,
                    idempotency_key=key,
                    clauses=self._payment_clauses() if clauses is None else clauses,
                ),
                summary="void payment",
                **MONEY,
            )
        except ActivityError:
            return await self._confirm(payment_id, key)

    async def _confirm(self, payment_id: str, key: str) -> MovementResult:
        """Ask the provider where a payment stands and settle the ledger row under `key`."""
        assert self._input is not None
        return await workflow.execute_activity_method(
            OrderActivities.confirm_payment,
            ConfirmPayment(
                order_id=self._input.order_id, payment_id=payment_id, idempotency_key=key
            ),
            summary="confirm payment with the provider",
            **SHORT,
        )

    def _payment_clauses(self) -> tuple[str, ...]:
        assert self._input is not None
        payment = self._input.policy.payment
        return merged(payment.methods.clauses, payment.card.clauses if payment.card else ())

    async def _follow_parcels(self, clauses: tuple[str, ...]) -> None:
        """Apply carrier scans until every parcel is delivered, or one is lost or sent back."""
        assert self._order is not None
        follow_up = workflow.patched(PARCEL_FOLLOW_UP)
        while self._order.status not in ENDED:
            if follow_up:
                await self._wait_for_scans()
            else:
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

    async def _wait_for_scans(self) -> None:
        """Wait for the carrier's scans. Past the delivery estimate the customer is told,
        once; when the carrier has been silent too long, it is asked."""
        assert self._input is not None and self._order is not None
        policy, order = self._input.policy, self._order
        estimate = (
            with_calendar(delivery_estimate, policy, order.shipped_at) if order.shipped_at else None
        )
        timeout = policy.shipping.carriers.poll_after if policy.shipping else timedelta(days=1)
        watch_late = estimate is not None and not order.late
        if estimate is not None and watch_late:
            timeout = min(timeout, max(estimate.latest - workflow.now(), timedelta(seconds=1)))
        try:
            await workflow.wait_condition(
                lambda: bool(self._tracking_inbox), timeout=timeout, timeout_summary="carrier quiet"
            )
            return
        except TimeoutError:
            pass
        if estimate is not None and watch_late and workflow.now() >= estimate.latest:
            order.late = True
            expected = estimate.latest.isoformat(timespec="minutes")
            await self._record(
                "parcel_late",
                None,
                f"not delivered by {expected}",
                estimate.clauses,
                deadlines={"delivery_expected_by": expected},
            )
            for parcel in order.shipments:
                await self._email(
                    "parcel_late",
                    {"tracking_number": parcel.tracking_number, "expected_by": expected},
                    key=parcel.tracking_number,
                )
            return
        waiting = [
            s.tracking_number
            for s in order.shipments
            if s.status != TrackingStatus.DELIVERED and not s.replaced
        ]
        scans = await workflow.execute_activity_method(
            OrderActivities.poll_tracking,
            PollTracking(order_id=self._input.order_id, tracking_numbers=waiting),
            summary="ask the carrier",
            start_to_close_timeout=timedelta(minutes=2),
            heartbeat_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(
                maximum_interval=timedelta(minutes=5),
                non_retryable_error_types=["TrackingRejected"],
            ),
        )
        known = {s.value for s in TrackingStatus}
        for scan in scans:
            if scan.status in known:
                self._tracking_inbox.append(
                    TrackingEvent(
                        event_id=f"poll:{scan.tracking_number}:{scan.status}",
                        tracking_number=scan.tracking_number,
                        status=TrackingStatus(scan.status),
                        occurred_at=workflow.now(),
                    )
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
        entry = OrderEvent(
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
        )
        if workflow.patched(LOCAL_STEPS):
            # One short database write: run inside the workflow task, one marker in history.
            await workflow.execute_local_activity_method(
                OrderActivities.record_order_event, entry, summary=kind, **LOCAL
            )
        else:
            await workflow.execute_activity_method(
                OrderActivities.record_order_event, entry, summary=kind, **SHORT
            )

    async def _email(
        self, template: str, facts: dict[str, Any] | None = None, key: str | None = None
    ) -> None:
        """Send one of the order's e-mails; `key` tells apart several of the same kind."""
        assert self._input is not None
        oid = self._input.order_id
        message = SendOrderEmail(
            order_id=oid,
            template=template,
            idempotency_key=f"{oid}:email:{template}" + (f":{key}" if key else ""),
            facts=facts or {},
        )
        if workflow.patched(LOCAL_STEPS):
            await workflow.execute_local_activity_method(
                OrderActivities.send_order_email, message, summary=f"e-mail {template}", **LOCAL
            )
        else:
            await workflow.execute_activity_method(
                OrderActivities.send_order_email, message, summary=f"e-mail {template}", **SHORT
            )
