"""How an order gets paid: payment attempts by card (with 3-D Secure), PayPal or e-invoice,
driven by the provider's webhooks; retries; fraud screening and the operator's review.

Every provider payment is one attempt with its own idempotency keys (`<order>:authorization:<n>`).
Provider events are kept per payment ID and only ever move a payment forward, so an event
that arrives twice, late, or for an older attempt can never complete the current one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.models import (
        AuthorizePayment,
        CreateInvoice,
        MovementResult,
    )
    from activities.orders import OrderActivities
    from domain.decisions.payment import (
        ScreeningFacts,
        action_window,
        advance_payment,
        invoice_expiry,
        payment_progress,
        payment_retry,
        requires_3ds,
        retry_window,
        reversal_cancellation,
        review_rejection,
        screen_for_fraud,
    )
    from domain.orders import FraudDecision, FraudOutcome, FraudVerdict, PaymentStep, RetryPayment
    from domain.policy import PaymentMethod
    from domain.status import OrderStatus
    from workflows.steps import MONEY, SHORT, OrderSteps

SETTLED = ("authorized", "captured", "failed", "voided", "reversed")
# An order the customer paid for and that is past its checks leaves this phase as "paid".
PAID = ("authorized", "captured")


class PaymentSteps(OrderSteps):
    def __init__(self) -> None:
        super().__init__()
        self._attempt = 0
        self._payments: dict[str, str] = {}  # provider payment ID -> furthest state heard
        self._step: PaymentStep | None = None
        self._retry: RetryPayment | None = None
        self._fraud: FraudDecision | None = None
        self._fraud_outcome: FraudOutcome | None = None
        self._card_country: str | None = None
        self._settled = False

    # -- what the handlers on the workflow class call -----------------------------------

    def _note_payment_event(self, event: dict[str, Any]) -> None:
        """Keep the furthest state of each provider payment; a captured payment taken back
        before the parcel left cancels the order."""
        data = event.get("data") or {}
        payment_id = str(data.get("id") or "")
        if not payment_id:
            return
        state = payment_progress(self._payments.get(payment_id), str(event.get("type", "")))
        if state is None:
            return
        self._payments[payment_id] = state
        assert self._order is not None and self._input is not None
        if state == "reversed" and payment_id == self._order.payment_id and self._cancel is None:
            self._cancel = reversal_cancellation(
                self._input.policy, shipped=self._order.shipped_at is not None
            )

    async def _step_of(self, attempt: int) -> PaymentStep:
        await workflow.wait_condition(
            lambda: (self._step is not None and self._step.attempt >= attempt) or self._settled
        )
        assert self._order is not None
        if self._settled and (self._step is None or self._step.status is not self._order.status):
            self._set_step(self._order.status)
        assert self._step is not None
        return self._step

    # -- the payment phase --------------------------------------------------------------

    async def _take_payment(self) -> bool:
        """True once the order's payment is captured and its checks passed; False when it
        ended unpaid (failed for good, invoice expired, rejected, cancelled)."""
        assert self._input is not None and self._order is not None
        order, policy = self._input, self._input.policy
        method, token = order.payment_method, order.payment_token or ""
        while True:
            self._attempt += 1
            if method is PaymentMethod.INVOICE:
                return await self._pay_by_invoice() and await self._capture()
            state, result = await self._authorize(method, token)
            if state == "cancelled":
                return False
            if state in PAID:
                break
            decline = result.decline_code or state
            await self._record(
                "payment_failed",
                OrderStatus.PAYMENT_FAILED,
                f"payment attempt {self._attempt} {state}: {decline}",
                self._payment_clauses(),
                details={"payment_id": result.payment_id, "attempt": self._attempt},
            )
            retry = payment_retry(policy, self._attempt)
            await self._email(
                "payment_failed",
                {"reason": decline, "may_retry": retry.allowed},
                key=str(self._attempt),
            )
            self._set_step(OrderStatus.PAYMENT_FAILED, decline_code=decline)
            if not retry.allowed or not await self._wait_for_retry():
                return False
            assert self._retry is not None
            token, self._retry = self._retry.payment_token, None

        if not await self._screen():
            return False
        if self._order.payment_id is None:  # the review asked for an e-invoice instead
            self._attempt += 1
            return await self._pay_by_invoice() and await self._capture()
        return await self._capture()

    async def _authorize(self, method: PaymentMethod, token: str) -> tuple[str, MovementResult]:
        """One payment attempt: authorise, and when the customer must act (3-D Secure,
        PayPal), wait for the provider's word within the policy's time."""
        assert self._input is not None and self._order is not None
        oid, policy, n = self._input.order_id, self._input.policy, self._attempt
        result = await workflow.execute_activity_method(
            OrderActivities.authorize_payment,
            AuthorizePayment(
                order_id=oid,
                amount=self._input.total,
                payment_token="paypal" if method is PaymentMethod.PAYPAL else token,
                idempotency_key=f"{oid}:authorization:{n}",
                clauses=self._payment_clauses(),
                three_d_secure=requires_3ds(policy, method).allowed,
            ),
            summary=f"authorise payment (attempt {n})",
            **MONEY,
        )
        self._order.payment_id = result.payment_id
        self._card_country = result.card_country
        state = "failed" if result.state == "declined" else result.state
        if state != "requires_action":
            return state, result
        self._note_state(result.payment_id, "requires_action")
        waiting = (
            OrderStatus.AWAITING_PAYPAL_APPROVAL
            if method is PaymentMethod.PAYPAL
            else OrderStatus.AWAITING_3DS
        )
        timeout = action_window(policy)
        await self._record(
            "payment_action_required",
            waiting,
            f"the customer must {'approve at PayPal' if waiting is OrderStatus.AWAITING_PAYPAL_APPROVAL else 'pass a 3-D Secure check'}",
            self._payment_clauses(),
            details={"payment_id": result.payment_id, "next_action_url": result.next_action_url},
            deadlines={"payment_action_by": (workflow.now() + timeout).isoformat()},
        )
        await self._email(
            "payment_action_needed",
            {
                "url": result.next_action_url,
                "paypal": method is PaymentMethod.PAYPAL,
                "by": (workflow.now() + timeout).isoformat(timespec="minutes"),
            },
            key=str(n),
        )
        self._set_step(waiting, next_action_url=result.next_action_url)
        state = await self._customer_acts(result.payment_id, timeout, ("authorized", "failed"))
        if state == "cancelled":
            await self._carry_out_cancellation()  # voids the open payment
            return state, result
        if state == "timeout":
            # Close the door: a challenge passed from now on must not authorise anything.
            voided = await self._void(result.payment_id, f"{oid}:void:authorization:{n}")
            if voided.state != "authorized":
                return "failed", result.model_copy(update={"decline_code": "action_timeout"})
            # passed just before the void: the payment stands
        confirmed = await self._confirm(result.payment_id, f"{oid}:authorization:{n}")
        state = "failed" if confirmed.state == "declined" else confirmed.state
        return state, confirmed

    async def _customer_acts(
        self, payment_id: str, within: timedelta, wanted: tuple[str, ...]
    ) -> str:
        """Wait for the provider to report one of `wanted` for this payment. Returns that
        state, "timeout", or "cancelled" when the customer cancelled meanwhile."""

        def heard() -> bool:
            return self._payments.get(payment_id) in wanted or self._cancel is not None

        try:
            await workflow.wait_condition(
                heard, timeout=within, timeout_summary="customer's payment action"
            )
        except TimeoutError:
            return "timeout"
        if self._payments.get(payment_id) in wanted:
            return self._payments[payment_id]
        return "cancelled"

    async def _wait_for_retry(self) -> bool:
        """A failed payment waits for the customer's next attempt, within the policy's time."""
        assert self._input is not None
        try:
            await workflow.wait_condition(
                lambda: self._retry is not None or self._cancel is not None,
                timeout=retry_window(self._input.policy),
                timeout_summary="payment retry",
            )
        except TimeoutError:
            return False
        if self._cancel is not None:
            await self._carry_out_cancellation()
            return False
        return True

    async def _pay_by_invoice(self) -> bool:
        """Send an e-invoice with its pay link and wait for it to be paid; unpaid at expiry,
        the invoice is withdrawn and the order cancelled (IMA-PAY-3)."""
        assert self._input is not None and self._order is not None
        oid, policy, n = self._input.order_id, self._input.policy, self._attempt
        expiry = invoice_expiry(policy, workflow.now())
        invoice = await workflow.execute_activity_method(
            OrderActivities.create_invoice,
            CreateInvoice(
                order_id=oid,
                amount=self._input.total,
                expires_at=expiry.at,
                idempotency_key=f"{oid}:invoice:{n}",
                clauses=expiry.clauses,
            ),
            summary="create e-invoice",
            **MONEY,
        )
        self._order.payment_id = invoice.payment_id
        self._note_state(invoice.payment_id, "requires_action")
        await self._record(
            "invoice_sent",
            OrderStatus.AWAITING_INVOICE_PAYMENT,
            f"e-invoice of {self._input.total} sent, payable until {expiry.at.isoformat()}",
            expiry.clauses,
            details={"payment_id": invoice.payment_id, "next_action_url": invoice.next_action_url},
            deadlines={"invoice_expires_at": expiry.at.isoformat()},
        )
        await self._email(
            "invoice",
            {
                "pay_url": invoice.next_action_url,
                "amount": str(self._input.total),
                "expires_at": expiry.at.isoformat(timespec="minutes"),
            },
            key=str(n),
        )
        self._set_step(
            OrderStatus.AWAITING_INVOICE_PAYMENT, next_action_url=invoice.next_action_url
        )
        while True:
            state = await self._customer_acts(
                invoice.payment_id,
                max(expiry.at - workflow.now(), timedelta(seconds=1)),
                ("captured",),
            )
            if state != "captured":
                break
            confirmed = await self._confirm(invoice.payment_id, f"{oid}:invoice:{n}")
            if confirmed.state == "captured":
                return True
            # the provider does not confirm the event yet: wait on until the invoice expires
            self._payments[invoice.payment_id] = "requires_action"
        if state == "cancelled":
            await self._carry_out_cancellation()
            return False
        voided = await self._void(invoice.payment_id, f"{oid}:void:invoice:{n}")
        if voided.state == "captured":  # paid in the last moment: the payment stands
            confirmed = await self._confirm(invoice.payment_id, f"{oid}:invoice:{n}")
            return confirmed.state == "captured"
        await self._record(
            "invoice_expired",
            OrderStatus.CANCELLED,
            f"the e-invoice was not paid by {expiry.at.isoformat()}: order cancelled",
            expiry.clauses,
            details={"payment_id": invoice.payment_id},
        )
        self._set_step(OrderStatus.CANCELLED)
        await self._email(
            "invoice_expired", {"expired_at": expiry.at.isoformat(timespec="minutes")}
        )
        return False

    async def _screen(self) -> bool:
        """Score the authorised order; at or above the policy's score it waits for an
        operator (IMA-FRD-1, CRD-DIG-2). False when the order ends here."""
        assert self._input is not None and self._order is not None
        order, policy = self._input, self._input.policy
        if policy.payment.fraud is None:
            return True
        recent = await workflow.execute_activity_method(
            OrderActivities.customer_order_count,
            order.order_id,
            summary="count the customer's recent orders",
            **SHORT,
        )
        screening = screen_for_fraud(
            policy,
            ScreeningFacts(
                total=order.total,
                billing_country=order.billing_country or order.destination_country,
                shipping_country=order.destination_country,
                card_country=self._card_country,
                orders_by_customer_today=recent,
            ),
        )
        if not screening.review:
            return True
        await self._record(
            "fraud_review",
            OrderStatus.FRAUD_REVIEW,
            f"held for review: score {screening.score} ({', '.join(screening.signals)})",
            screening.clauses,
            details={"score": screening.score, "signals": list(screening.signals)},
        )
        self._set_step(OrderStatus.FRAUD_REVIEW)
        await workflow.wait_condition(lambda: self._fraud is not None or self._cancel is not None)
        if self._fraud is None:
            await self._carry_out_cancellation()
            return False
        verdict, clauses = self._fraud.verdict, screening.clauses
        await self._record(
            f"fraud_{verdict.value}",
            None,
            f"review by {self._fraud.operator or 'an operator'}: {verdict.value}",
            clauses,
            details={"operator": self._fraud.operator, "note": self._fraud.note},
        )
        if verdict is FraudVerdict.APPROVE:
            self._fraud_outcome = FraudOutcome(status=OrderStatus.PENDING_PAYMENT, clauses=clauses)
            return True
        assert self._order.payment_id is not None
        if verdict is FraudVerdict.REQUIRE_INVOICE:
            await self._void(self._order.payment_id, f"{order.order_id}:void:review")
            self._order.payment_id = None
            self._fraud_outcome = FraudOutcome(
                status=OrderStatus.AWAITING_INVOICE_PAYMENT, clauses=clauses
            )
            return True
        self._cancel = review_rejection(policy)
        outcome = await self._carry_out_cancellation()  # voids the authorisation
        self._fraud_outcome = FraudOutcome(
            status=outcome.status, refund=self._cancel.refund, clauses=clauses
        )
        return False

    async def _capture(self) -> bool:
        """Capture the authorised payment (an invoice is captured when paid: the provider
        is asked, and the ledger settled). False when the order was cancelled first."""
        assert self._input is not None and self._order is not None
        if self._cancel is not None:
            await self._carry_out_cancellation()
            return False
        assert self._order.payment_id is not None
        await self._capture_payment(
            self._order.payment_id,
            self._input.total,
            f"{self._input.order_id}:capture:{self._attempt}",
            self._payment_clauses(),
            "capture payment",
        )
        self._order.captured = True
        return True

    # -- helpers ------------------------------------------------------------------------

    def _note_state(self, payment_id: str, state: str) -> None:
        moved = advance_payment(self._payments.get(payment_id), state)
        if moved is not None:
            self._payments[payment_id] = moved

    def _set_step(
        self,
        status: OrderStatus,
        next_action_url: str | None = None,
        decline_code: str | None = None,
    ) -> None:
        self._step = PaymentStep(
            status=status,
            attempt=self._attempt,
            next_action_url=next_action_url,
            decline_code=decline_code,
            clauses=self._payment_clauses(),
        )
