"""OrderWorkflow: one order from payment to the close of its return window.

Customers act on it through two updates, each decided by `domain/` in its validator so the
answer is immediate: changing the shipping address (the edit window) and cancelling. A
cancellation is carried out by the main flow at its next checkpoint, so that it and the
dispatch can never both happen: whichever the workflow reaches first wins, once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.models import (
        ApplyAddressChange,
        AuthorizePayment,
    )
    from activities.orders import OrderActivities
    from domain.decisions import Decision, merged
    from domain.decisions.changes import Cancellation, cancellation, edit_window
    from domain.decisions.fulfilment import (
        choose_carrier,
        dispatch_slot,
        parcels,
        reshipping_fee,
        reshipping_payable,
        returned_to_sender,
    )
    from domain.decisions.payment import (
        fraud_verdict,
        ownership_refund,
        ownership_rejection,
        payment_retry,
    )
    from domain.decisions.returns import returns_close_at
    from domain.orders import (
        AddressChange,
        AddressChanged,
        CancelOutcome,
        CancelRequest,
        FraudDecision,
        FraudOutcome,
        FraudVerdict,
        OrderSnapshot,
        OrderWorkflowInput,
        PaymentStep,
        ReshipOutcome,
        ReshipRequest,
        RetryPayment,
        TrackingEvent,
    )
    from domain.status import OrderStatus
    from workflows.names import (
        QUERY_ORDER,
        SIGNAL_CARRIER_EVENT,
        SIGNAL_PAYMENT_EVENT,
        UPDATE_CANCEL,
        UPDATE_CHANGE_SHIPPING_ADDRESS,
        UPDATE_PAYMENT_STEP,
        UPDATE_RESHIP,
        UPDATE_RETRY_PAYMENT,
        UPDATE_REVIEW_FRAUD,
    )
    from workflows.payment import PaymentSteps
    from workflows.steps import MONEY, RESHIPPING, SHORT, with_calendar

# Orders started before payments followed the provider's webhooks paid in one synchronous
# authorisation; later ones go through attempts, 3-D Secure, PayPal, e-invoices and review.
PAYMENT_ATTEMPTS = "payment-attempts"


def refusal(decision: Decision, kind: str) -> ApplicationError:
    """How a validator refuses: the reason, with the clauses as details for the API."""
    return ApplicationError(decision.reason, *decision.clauses, type=kind, non_retryable=True)


@workflow.defn(name="OrderWorkflow")
class OrderWorkflow(PaymentSteps):
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
        """The provider's word on a payment, applied once per event ID."""
        event_id = str(event.get("event_id", ""))
        if event_id and event_id not in self._seen_events:
            self._seen_events.add(event_id)
            workflow.logger.info(
                "payment event", extra={"event_type": event.get("type"), "event_id": event_id}
            )
            if self._input is not None:
                self._note_payment_event(event)

    # -- payment ------------------------------------------------------------------------

    @workflow.update(name=UPDATE_PAYMENT_STEP)
    async def payment_step(self, attempt: int) -> PaymentStep:
        """Where the payment stands once attempt `attempt` needs the customer or is decided:
        what the storefront answers right after placing the order or retrying."""
        return await self._step_of(attempt)

    @workflow.update(name=UPDATE_RETRY_PAYMENT)
    async def retry_payment(self, request: RetryPayment) -> PaymentStep:
        self._retry = request
        return await self._step_of(self._attempt + 1)

    @retry_payment.validator
    def _may_retry(self, request: RetryPayment) -> None:
        if self._input is None or self._order is None:
            raise ApplicationError("the order is not ready yet", type="PaymentRetryRefused")
        decision = payment_retry(self._input.policy, self._attempt)
        if not decision.allowed:
            raise refusal(decision, "PaymentRetryRefused")
        failed = self._order.status is OrderStatus.PAYMENT_FAILED
        if not failed or self._retry is not None or self._settled:
            raise ApplicationError(
                f"the order is {self._order.status.value}: there is no failed payment to retry",
                *decision.clauses,
                type="PaymentRetryRefused",
                non_retryable=True,
            )

    @workflow.update(name=UPDATE_REVIEW_FRAUD)
    async def review_fraud(self, decision: FraudDecision) -> FraudOutcome:
        """An operator's verdict on an order held for review; or, on a paid order not yet
        shipped, a rejection because the card was not the buyer's own (CRD-DIG-2)."""
        assert self._input is not None and self._order is not None
        if self._order.status is OrderStatus.FRAUD_REVIEW:
            self._fraud = decision
            await workflow.wait_condition(lambda: self._fraud_outcome is not None)
            assert self._fraud_outcome is not None
            return self._fraud_outcome
        refund, why = ownership_refund(
            self._input.policy, self._input.total, decision.ownership_proven
        )
        self._cancel = Cancellation(decision=why, refund=refund)
        await workflow.wait_condition(lambda: self._cancel_outcome is not None)
        assert self._cancel_outcome is not None
        return FraudOutcome(
            status=self._cancel_outcome.status,
            refund=self._cancel_outcome.refund,
            clauses=self._cancel_outcome.clauses,
        )

    @review_fraud.validator
    def _may_review(self, decision: FraudDecision) -> None:
        if self._input is None or self._order is None:
            raise ApplicationError("the order is not ready yet", type="ReviewRefused")
        policy, order = self._input.policy, self._order
        verdict = fraud_verdict(policy, decision.verdict.value)
        if order.status is OrderStatus.FRAUD_REVIEW and self._fraud is None:
            if not verdict.allowed:
                raise refusal(verdict, "ReviewRefused")
            return
        if decision.verdict is FraudVerdict.REJECT and self._cancel is None:
            if ownership_rejection(policy, order.captured, order.shipped_at is not None).allowed:
                return
        raise ApplicationError(
            f"the order is {order.status.value}: it is not held for review",
            *verdict.clauses,
            type="ReviewRefused",
            non_retryable=True,
        )

    # -- customer actions ---------------------------------------------------------------

    @workflow.update(name=UPDATE_CHANGE_SHIPPING_ADDRESS)
    async def change_shipping_address(self, change: AddressChange) -> AddressChanged:
        assert self._input is not None
        decision = edit_window(self._input.policy, self._facts(), workflow.now())
        self._address_changes_running += 1
        try:
            await workflow.execute_activity_method(
                OrderActivities.apply_address_change,
                ApplyAddressChange(order_id=self._input.order_id, change_id=change.change_id),
                summary="apply address change",
                **SHORT,
            )
            await self._record(
                "shipping_address_changed",
                None,
                "shipping address changed",
                decision.clauses,
                details={"change_id": change.change_id},
            )
        finally:
            self._address_changes_running -= 1
        return AddressChanged(
            change_id=change.change_id,
            clauses=decision.clauses,
            edit_window_closes_at=decision.deadlines.get("edit_window_closes_at"),
        )

    @change_shipping_address.validator
    def _may_change_address(self, change: AddressChange) -> None:
        if self._input is None or self._order is None:
            raise ApplicationError("the order is not ready yet", type="EditRefused")
        decision = edit_window(self._input.policy, self._facts(), workflow.now())
        if not decision.allowed:
            raise refusal(decision, "EditRefused")

    @workflow.update(name=UPDATE_CANCEL)
    async def cancel(self, request: CancelRequest) -> CancelOutcome:
        assert self._input is not None
        if self._cancel is None:
            self._cancel = cancellation(self._input.policy, self._facts(), workflow.now())
        await workflow.wait_condition(lambda: self._cancel_outcome is not None)
        assert self._cancel_outcome is not None
        return self._cancel_outcome

    @cancel.validator
    def _may_cancel(self, request: CancelRequest) -> None:
        if self._input is None or self._order is None:
            raise ApplicationError("the order is not ready yet", type="CancelRefused")
        if self._cancel is not None:
            return  # a repeated request gets the same outcome
        decision = cancellation(self._input.policy, self._facts(), workflow.now()).decision
        if not decision.allowed or self._order.status.is_final:
            raise refusal(decision, "CancelRefused")

    @workflow.update(name=UPDATE_RESHIP)
    async def reship(self, request: ReshipRequest) -> ReshipOutcome:
        """Pay for a returned parcel to go out again, to the corrected address."""
        assert self._input is not None and self._order is not None
        policy, oid = self._input.policy, self._input.order_id
        decision = returned_to_sender(policy, workflow.now())
        fee = reshipping_fee(policy)
        self._reshipping_running += 1
        self._reshipping_attempts += 1
        attempt = self._reshipping_attempts
        try:
            if fee.amount > 0:
                auth = await workflow.execute_activity_method(
                    OrderActivities.authorize_payment,
                    AuthorizePayment(
                        order_id=oid,
                        amount=fee,
                        payment_token=request.payment_token,
                        idempotency_key=f"{oid}:authorization:reshipping:{attempt}",
                        clauses=decision.clauses,
                    ),
                    summary="authorise reshipping",
                    **MONEY,
                )
                if auth.state != "authorized":
                    return ReshipOutcome(
                        paid=False,
                        fee=fee,
                        clauses=decision.clauses,
                        decline_code=auth.decline_code or auth.state,
                    )
                await self._capture_payment(
                    auth.payment_id,
                    fee,
                    f"{oid}:capture:reshipping:{attempt}",
                    decision.clauses,
                    "capture reshipping",
                )
            await workflow.execute_activity_method(
                OrderActivities.apply_address_change,
                ApplyAddressChange(order_id=oid, change_id=request.change_id),
                summary="apply corrected address",
                **SHORT,
            )
            await self._record(
                "reshipping_paid",
                None,
                f"reshipping paid ({fee}); the parcel leaves again to the corrected address",
                decision.clauses,
                details={"change_id": request.change_id, "fee": str(fee)},
            )
            self._reshipping_paid = True
            return ReshipOutcome(paid=True, fee=fee, clauses=decision.clauses)
        finally:
            self._reshipping_running -= 1

    @reship.validator
    def _may_reship(self, request: ReshipRequest) -> None:
        if self._input is None or self._order is None:
            raise ApplicationError("the order is not ready yet", type="ReshipRefused")
        # paid, or being paid right now: there is no offer left to take
        taken = self._reshipping_paid or self._reshipping_running > 0
        pay_by = None if taken else self._order.pay_reshipping_by
        decision = reshipping_payable(self._input.policy, pay_by, workflow.now())
        if not decision.allowed:
            raise refusal(decision, "ReshipRefused")

    # -- the order's life ---------------------------------------------------------------

    @workflow.run
    async def run(self, order: OrderWorkflowInput) -> OrderSnapshot:
        self._input = order
        self._order = OrderSnapshot(order_id=order.order_id, status=OrderStatus.PENDING_PAYMENT)
        result = await self._live(order)
        self._settled = True  # nothing more to wait for: open payment-step updates answer
        await workflow.wait_condition(workflow.all_handlers_finished)
        return result

    async def _live(self, order: OrderWorkflowInput) -> OrderSnapshot:
        assert self._order is not None
        payment_clauses = self._payment_clauses()
        if workflow.patched(PAYMENT_ATTEMPTS):
            paid = await self._take_payment()
        else:
            paid = await self._pay_at_once(order, payment_clauses)
        if not paid:
            return self._order
        return await self._fulfil(order, payment_clauses)

    async def _pay_at_once(
        self, order: OrderWorkflowInput, payment_clauses: tuple[str, ...]
    ) -> bool:
        """The payment of orders started before attempts: one authorisation, then capture."""
        assert self._order is not None
        oid = order.order_id
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
            **MONEY,
        )
        if auth.state != "authorized":
            await self._record(
                "payment_failed",
                OrderStatus.PAYMENT_FAILED,
                f"payment {auth.state}: {auth.decline_code or 'no reason given'}",
                payment_clauses,
                details={"payment_id": auth.payment_id},
            )
            await self._email("payment_failed", {"reason": auth.decline_code or auth.state})
            return False
        self._order.payment_id = auth.payment_id
        if self._cancel is not None:
            await self._carry_out_cancellation()
            return False

        await self._capture_payment(
            auth.payment_id, order.total, f"{oid}:capture:1", payment_clauses, "capture payment"
        )
        self._order.captured = True
        return True

    async def _fulfil(
        self, order: OrderWorkflowInput, payment_clauses: tuple[str, ...]
    ) -> OrderSnapshot:
        """From the captured payment to the close of the return window."""
        assert self._order is not None
        policy = order.policy
        self._order.paid_at = workflow.now()
        slot = with_calendar(dispatch_slot, policy, self._order.paid_at)
        self._order.dispatch_at = slot.at
        edit = edit_window(policy, self._facts(), self._order.paid_at)
        self._order.edit_window_closes_at = edit.deadlines.get("edit_window_closes_at")
        deadlines = {"paid_at": self._order.paid_at.isoformat()}
        if self._order.edit_window_closes_at:
            deadlines["edit_window_closes_at"] = self._order.edit_window_closes_at.isoformat()
        await self._record(
            "paid",
            OrderStatus.PAID,
            f"payment of {order.total} captured",
            payment_clauses,
            details={"payment_id": self._order.payment_id},
            deadlines=deadlines,
        )
        await self._email("order_confirmation")
        self._set_step(OrderStatus.PAID)

        wait = slot.at - workflow.now()
        if wait > timedelta(0) and self._cancel is None:
            await self._record(
                "dispatch_scheduled",
                None,
                f"leaves at {slot.at.isoformat()}",
                slot.clauses,
                deadlines={"dispatch_at": slot.at.isoformat()},
            )
            try:
                await workflow.wait_condition(
                    lambda: self._cancel is not None, timeout=wait, timeout_summary="dispatch slot"
                )
            except TimeoutError:
                pass  # the slot came: dispatch

        await workflow.wait_condition(lambda: self._address_changes_running == 0)
        if self._cancel is not None:
            return await self._carry_out_cancellation()

        self._order.fulfilment_started_at = workflow.now()
        carrier, carrier_clauses = choose_carrier(policy, order.destination_country)
        shipping_clauses = merged(slot.clauses, carrier_clauses)
        await self._record(
            "fulfilment_started",
            OrderStatus.FULFILLING,
            "handed to fulfilment",
            shipping_clauses or payment_clauses,
        )
        if self._cancel is not None:
            return await self._carry_out_cancellation()

        tracking = policy.shipping.tracking if policy.shipping else None
        tracking_clauses = merged(carrier_clauses, tracking.clauses if tracking else ()) or (
            shipping_clauses or payment_clauses
        )
        self._order.shipped_at = workflow.now()  # from here on the order can't be cancelled
        self._parcel_count = len(parcels(order.lines))
        for parcel_no in parcels(order.lines):
            await self._ship(carrier, parcel_no, tracking_clauses)
        while True:
            await self._follow_parcels(tracking_clauses)
            if self._order.status is OrderStatus.LOST:
                if not await self._replace_lost_parcel(carrier, tracking_clauses):
                    return self._order
            elif self._order.status is OrderStatus.RETURNED_TO_SENDER and workflow.patched(
                RESHIPPING
            ):
                if not await self._settle_returned_parcel(carrier, tracking_clauses):
                    return self._order
            else:
                break
        if self._order.status is not OrderStatus.DELIVERED:
            return self._order

        assert self._order.delivered_at is not None
        window = returns_close_at(policy, order.placed_at, self._order.delivered_at)
        if window is None:
            await self._record(
                "completed", OrderStatus.COMPLETED, "delivered; no return window", tracking_clauses
            )
            return self._order
        self._order.return_window_closes_at = window.at
        await self._record(
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
            "completed", OrderStatus.COMPLETED, "return window closed", window.clauses
        )
        return self._order
