"""How an order gets paid: payment attempts by card (with 3-D Secure), PayPal or e-invoice,
driven by the provider's webhooks; retries; fraud screening and the operator's review.

Every provider payment is one attempt with its own idempotency keys (`<order>:authorization:<n>`).
Provider events are kept per payment ID and only ever move a payment forward, so an event
that arrives twice, late, or for an older attempt can never complete the current one.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.models import AuthorizePayment, CreateInvoice, MovementResult
    from activities.payments import PaymentActivities
    from domain.decisions.payment import (
        action_window,
        invoice_expiry,
        payment_retry,
        requires_3ds,
        retry_window,
    )
    from domain.orders import (
        PaymentEvent,
        PaymentStep,
        RetryPayment,
    )
    from domain.policy import PaymentMethod
    from domain.policy.rules import SETTING
    from domain.status import OrderStatus, ProviderState
    from workflows.order.cancellation import Cancellations
    from workflows.order.state import OrderContext
    from workflows.payment.money import MoneyMoves
    from workflows.payment.provider import ProviderStates
    from workflows.payment.review import FraudReview, Paid
    from workflows.shared.deadlines import within
    from workflows.shared.options import MONEY, run

PAID = (ProviderState.AUTHORIZED, ProviderState.CAPTURED)
# A failed or voided webhook during the customer's action is confirmed by the provider first.
PROVIDER_CONFIRMS_TERMINAL = "provider-confirms-terminal-events"


@dataclass
class PaymentState:
    """The payment context's own state."""

    attempt: int = 0
    step: PaymentStep | None = None
    retry: RetryPayment | None = None
    card_country: str | None = None
    settled: bool = False


class Payment:
    def __init__(self, ctx: OrderContext, money: MoneyMoves, cancels: Cancellations) -> None:
        self._ctx, self._money, self._cancels = ctx, money, cancels
        self.state = PaymentState()
        self.review = FraudReview(ctx, money, cancels, self.set_step)
        self.provider = ProviderStates(ctx, cancels)

    # -- what the workflow's handlers call ----------------------------------------------

    def note_event(self, event: PaymentEvent) -> None:
        self.provider.heard(event)

    async def step_of(self, attempt: int) -> PaymentStep:
        state = self.state
        await workflow.wait_condition(
            lambda: (state.step is not None and state.step.attempt >= attempt) or state.settled
        )
        if state.settled and (
            state.step is None or state.step.status is not self._ctx.order.status
        ):
            self.set_step(self._ctx.order.status)
        assert state.step is not None
        return state.step

    def settle(self) -> None:
        """Nothing more to wait for: open payment-step updates answer with where it stands."""
        self.state.settled = True

    # -- the payment phase --------------------------------------------------------------

    async def take(self) -> Paid:
        ctx, state = self._ctx, self.state
        method, token = ctx.input.payment_method, ctx.input.payment_token or ""
        while True:
            state.attempt += 1
            if method is PaymentMethod.INVOICE:
                return await self._by_invoice()
            outcome, result = await self._authorize(method, token)
            if outcome is not None:
                return outcome
            if result.state in PAID:
                ctx.order.authorization_lapses_at = result.capture_before
                break
            if not await self._failed(result):
                return Paid.CANCEL if self._cancels.requested else Paid.UNPAID
            assert state.retry is not None
            token, state.retry = state.retry.payment_token, None
        screened = await self.review.screen(state.card_country)
        if screened is not None:
            return screened
        if ctx.order.payment_id is None:  # the review asked for an e-invoice instead
            state.attempt += 1
            return await self._by_invoice()
        return await self._capture()

    async def _failed(self, result: MovementResult) -> bool:
        """Tell of a failed attempt; True when the customer retries in time."""
        ctx, state = self._ctx, self.state
        decline = result.decline_code or result.state
        await ctx.record(
            "payment_failed",
            OrderStatus.PAYMENT_FAILED,
            f"payment attempt {state.attempt} failed: {decline}",
            ctx.payment_clauses(),
            details={
                "payment_id": result.payment_id,
                "attempt": state.attempt,
                "decline_code": decline,
            },
        )
        retry = payment_retry(ctx.policy, state.attempt)
        await ctx.email(
            "payment_failed",
            {"reason": decline, "may_retry": retry.allowed},
            key=str(state.attempt),
        )
        self.set_step(OrderStatus.PAYMENT_FAILED, decline_code=decline)
        if not retry.allowed:
            return False
        asked = await within(
            lambda: state.retry is not None or self._cancels.requested,
            retry_window(ctx.policy),
            "payment retry",
        )
        if not asked:
            return False
        return not self._cancels.requested

    async def _authorize(
        self, method: PaymentMethod, token: str
    ) -> tuple[Paid | None, MovementResult]:
        """One attempt: authorise, and when the customer must act (3-D Secure, PayPal), wait
        for the provider's word within the policy's time. A phase outcome when it ended."""
        ctx, state, n = self._ctx, self.state, self.state.attempt
        result: MovementResult = await run(
            PaymentActivities.authorize_payment,
            AuthorizePayment(
                order_id=ctx.order_id,
                amount=ctx.input.total,
                payment_token="paypal" if method is PaymentMethod.PAYPAL else token,
                idempotency_key=f"{ctx.order_id}:authorization:{n}",
                clauses=ctx.payment_clauses(),
                three_d_secure=requires_3ds(ctx.policy, method).allowed,
            ),
            MONEY,
            f"authorise payment (attempt {n})",
        )
        ctx.order.payment_id = result.payment_id
        state.card_country = result.card_country
        if result.state != ProviderState.REQUIRES_ACTION:
            return None, result
        self.provider.note(result.payment_id, ProviderState.REQUIRES_ACTION)
        paypal = method is PaymentMethod.PAYPAL
        waiting = OrderStatus.AWAITING_PAYPAL_APPROVAL if paypal else OrderStatus.AWAITING_3DS
        by = workflow.now() + action_window(ctx.policy)
        await ctx.record(
            "payment_action_required",
            waiting,
            f"the customer must {'approve at PayPal' if paypal else 'pass a 3-D Secure check'} "
            f"by {by.isoformat(timespec='minutes')} (the time to act: the {SETTING})",
            ctx.payment_clauses(),
            details={"payment_id": result.payment_id, "next_action_url": result.next_action_url},
            deadlines={"payment_action_by": by},
        )
        await ctx.email(
            "payment_action_needed",
            {
                "url": result.next_action_url,
                "paypal": paypal,
                "by": by.isoformat(timespec="minutes"),
            },
            key=str(n),
        )
        self.set_step(waiting, next_action_url=result.next_action_url)
        # A failed or voided webhook is a hint like any other: only the provider's own answer
        # ends the wait, and while it still waits on the customer, so does the order.
        confirms = workflow.patched(PROVIDER_CONFIRMS_TERMINAL)
        wanted = (ProviderState.AUTHORIZED, ProviderState.FAILED)
        wanted += (ProviderState.VOIDED,) if confirms else ()
        key = f"{ctx.order_id}:authorization:{n}"
        while True:
            heard = await self.provider.wait_for(result.payment_id, by - workflow.now(), wanted)
            if heard is None and self._cancels.requested:
                return Paid.CANCEL, result
            if heard is None:
                # Close the door: a challenge passed from now on must not authorise anything.
                voided = await self._money.void(
                    result.payment_id, f"{ctx.order_id}:void:authorization:{n}"
                )
                if voided.state != ProviderState.AUTHORIZED:
                    return None, result.model_copy(
                        update={"state": "failed", "decline_code": "action_timeout"}
                    )
            confirmed = await self._money.confirm(result.payment_id, key)
            if not confirms or heard is None or confirmed.state != ProviderState.REQUIRES_ACTION:
                return None, confirmed
            self.provider.reset(result.payment_id, ProviderState.REQUIRES_ACTION)

    async def _by_invoice(self) -> Paid:
        """Send an e-invoice with its pay link and wait for it to be paid; unpaid at expiry,
        the invoice is withdrawn and the order cancelled (IMA-PAY-3)."""
        ctx, n = self._ctx, self.state.attempt
        expiry = invoice_expiry(ctx.policy, workflow.now())
        key = f"{ctx.order_id}:invoice:{n}"
        invoice: MovementResult = await run(
            PaymentActivities.create_invoice,
            CreateInvoice(
                order_id=ctx.order_id,
                amount=ctx.input.total,
                expires_at=expiry.at,
                idempotency_key=key,
                clauses=expiry.clauses,
            ),
            MONEY,
            "create e-invoice",
        )
        ctx.order.payment_id = invoice.payment_id
        self.provider.note(invoice.payment_id, ProviderState.REQUIRES_ACTION)
        await ctx.record(
            "invoice_sent",
            OrderStatus.AWAITING_INVOICE_PAYMENT,
            f"e-invoice of {ctx.input.total} sent, payable until {expiry.at.isoformat()} "
            f"(its lifetime: the {SETTING})",
            expiry.clauses,
            details={"payment_id": invoice.payment_id, "next_action_url": invoice.next_action_url},
            deadlines={"invoice_expires_at": expiry.at},
        )
        await ctx.email(
            "invoice",
            {
                "pay_url": invoice.next_action_url,
                "amount": str(ctx.input.total),
                "expires_at": expiry.at.isoformat(timespec="minutes"),
            },
            key=str(n),
        )
        self.set_step(OrderStatus.AWAITING_INVOICE_PAYMENT, next_action_url=invoice.next_action_url)
        while await self.provider.wait_for(
            invoice.payment_id, expiry.at - workflow.now(), (ProviderState.CAPTURED,)
        ):
            if (await self._money.confirm(invoice.payment_id, key)).state == ProviderState.CAPTURED:
                return await self._capture(paid_by_customer=True)
            # the provider does not confirm the event yet: wait on until the invoice expires
            self.provider.reset(invoice.payment_id, ProviderState.REQUIRES_ACTION)
        if self._cancels.requested:
            return Paid.CANCEL
        voided = await self._money.void(invoice.payment_id, f"{ctx.order_id}:void:invoice:{n}")
        if voided.state == ProviderState.CAPTURED:  # paid in the last moment: the payment stands
            if (await self._money.confirm(invoice.payment_id, key)).state == ProviderState.CAPTURED:
                return await self._capture(paid_by_customer=True)
        await ctx.record(
            "invoice_expired",
            OrderStatus.CANCELLED,
            f"the e-invoice was not paid by {expiry.at.isoformat()}: order cancelled",
            expiry.clauses,
            details={"payment_id": invoice.payment_id},
        )
        self.set_step(OrderStatus.CANCELLED)
        await ctx.email("invoice_expired", {"expired_at": expiry.at.isoformat(timespec="minutes")})
        return Paid.UNPAID

    async def _capture(self, paid_by_customer: bool = False) -> Paid:
        """Capture the authorised payment, unless a cancellation came first. An invoice the
        customer paid is captured already: the ledger records it, and a cancellation then
        refunds it."""
        ctx = self._ctx
        if self._cancels.requested and not paid_by_customer:
            return Paid.CANCEL
        assert ctx.order.payment_id is not None
        await self._money.capture(
            ctx.order.payment_id,
            ctx.input.total,
            f"{ctx.order_id}:capture:{self.state.attempt}",
            ctx.payment_clauses(),
            "capture payment",
        )
        return self._paid()

    def _paid(self) -> Paid:
        order = self._ctx.order
        order.captured = True
        order.paid_at = workflow.now()
        return Paid.PAID

    # -- helpers ------------------------------------------------------------------------

    def set_step(
        self,
        status: OrderStatus,
        next_action_url: str | None = None,
        decline_code: str | None = None,
    ) -> None:
        self.state.step = PaymentStep(
            status=status,
            attempt=self.state.attempt,
            next_action_url=next_action_url,
            decline_code=decline_code,
            clauses=self._ctx.payment_clauses(),
        )
