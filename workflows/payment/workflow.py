"""How an order gets paid: payment attempts by card (with 3-D Secure), PayPal or e-invoice,
driven by the provider's webhooks; retries; fraud screening and the operator's review.

Every provider payment is one attempt with its own idempotency keys (`<order>:authorization:<n>`).
Provider events are kept per payment ID and only ever move a payment forward, so an event
that arrives twice, late, or for an older attempt can never complete the current one.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.models import MovementResult
    from domain.decisions.payment import (
        payment_retry,
        retry_window,
    )
    from domain.errors import ErrorType
    from domain.orders import (
        PaymentEvent,
        PaymentStep,
        RetryPayment,
    )
    from domain.policy import PaymentMethod
    from domain.status import OrderStatus

from workflows.payment.provider import ProviderStates
from workflows.payment.purse import Purse
from workflows.payment.review import FraudReview
from workflows.payment.state import PAID, Paid, PaymentState
from workflows.payment.steps import PaymentSteps
from workflows.shared.cancels import Cancels
from workflows.shared.deadlines import within
from workflows.shared.order import OrderContext
from workflows.shared.refusals import refusal


class Payment:
    def __init__(self, ctx: OrderContext, money: Purse, cancels: Cancels) -> None:
        self._ctx, self._money, self._cancels = ctx, money, cancels
        self.state = PaymentState()
        self.review = FraudReview(ctx, money, cancels, self.set_step)
        self.provider = ProviderStates(ctx, cancels)
        self._steps = PaymentSteps(ctx, money, cancels, self.provider, self.state, self.set_step)

    # -- what the workflow's handlers call ----------------------------------------------

    def note_event(self, event: PaymentEvent) -> None:
        self.provider.heard(event)

    def check_retry(self, *, deciding: bool = True) -> None:
        """Refuse a new attempt unless the last one failed, or (`deciding`) is still being
        decided by the provider, and the policy allows another."""
        state = self.state
        decision = payment_retry(self._ctx.policy, state.attempt)
        if not decision.allowed:
            raise refusal(decision.reason, decision.clauses, ErrorType.PAYMENT_RETRY_REFUSED)
        status = self._ctx.order.status
        if (
            not (status is OrderStatus.PAYMENT_FAILED or (deciding and self._deciding()))
            or state.retry is not None
            or state.retry_waiting
            or state.settled
        ):
            raise refusal(
                f"the order is {status.value}: there is no failed payment to retry",
                decision.clauses,
                ErrorType.PAYMENT_RETRY_REFUSED,
            )

    def _deciding(self) -> bool:
        """An attempt is with the provider, its answer not yet taken in. The order's page may
        already show it failed: the answer reached the read model, and the workflow takes it
        in after the messages that came with it, the customer's retry among them."""
        return self._ctx.order.status is OrderStatus.PENDING_PAYMENT and self.state.attempt > 0

    async def retry(self, request: RetryPayment) -> PaymentStep:
        """A new attempt after a failed one, with the customer's new payment details. Asked
        while the attempt before it is still decided, it waits for that one's outcome: a
        failure takes this retry, anything else refuses it."""
        state = self.state
        if self._deciding():
            state.retry_waiting = True
            try:
                await workflow.wait_condition(lambda: not self._deciding() or state.settled)
            finally:
                state.retry_waiting = False
            self.check_retry(deciding=False)
        state.retry = request
        return await self.step_of(state.attempt + 1)

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
                return await self._steps.by_invoice()
            outcome, result = await self._steps.authorise(method, token)
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
            return await self._steps.by_invoice()
        return await self._steps.capture()

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
