"""The steps of one payment attempt: authorise it (and, where the customer must act for
3-D Secure or PayPal, wait for the provider's word within the policy's time), or send an
e-invoice and wait for it to be paid; then capture."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.models import AuthorizePayment, CreateInvoice, MovementResult
    from activities.payments import PaymentActivities
    from domain.decisions import Deadline
    from domain.decisions.payment import action_window, invoice_expiry, requires_3ds
    from domain.policy import PaymentMethod
    from domain.policy.rules import SETTING
    from domain.status import MovementState, OrderStatus, ProviderState

from workflows.payment.provider import ProviderStates
from workflows.payment.purse import Purse
from workflows.payment.state import Paid, PaymentState
from workflows.shared.cancels import Cancels
from workflows.shared.options import MONEY, run
from workflows.shared.order import OrderContext

# A failed or voided webhook during the customer's action is confirmed by the provider first.
PROVIDER_CONFIRMS_TERMINAL = "provider-confirms-terminal-events"
# A capture that fails for good releases the authorisation and ends the order unpaid.
CAPTURE_FAILED = "capture-failure-ends-well"


class PaymentSteps:
    def __init__(
        self,
        ctx: OrderContext,
        money: Purse,
        cancels: Cancels,
        provider: ProviderStates,
        state: PaymentState,
        set_step: Callable[..., None],
    ) -> None:
        self._ctx, self._money, self._cancels = ctx, money, cancels
        self._provider, self.state, self._set_step = provider, state, set_step

    async def authorise(
        self, method: PaymentMethod, token: str
    ) -> tuple[Paid | None, MovementResult]:
        """One attempt: authorise, and when the customer must act (3-D Secure, PayPal), wait
        for the provider's word within the policy's time. A phase outcome when it ended."""
        ctx, state, n = self._ctx, self.state, self.state.attempt
        result = await run(
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
        if result.state is not MovementState.REQUIRES_ACTION:
            return None, result
        by = await self._ask_customer(method, result)
        return await self._customer_acted(result, by)

    async def _ask_customer(self, method: PaymentMethod, result: MovementResult) -> datetime:
        """The customer must act (3-D Secure, PayPal): tell them, and by when."""
        ctx, n = self._ctx, self.state.attempt
        self._provider.note(result.payment_id, ProviderState.REQUIRES_ACTION)
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
        self._set_step(waiting, next_action_url=result.next_action_url)
        return by

    async def _customer_acted(
        self, result: MovementResult, by: datetime
    ) -> tuple[Paid | None, MovementResult]:
        """Wait for the provider's word on the customer's action until `by`; past it, the
        attempt is voided (unless it went through meanwhile)."""
        ctx, n = self._ctx, self.state.attempt
        # A failed or voided webhook is a hint like any other: only the provider's own answer
        # ends the wait, and while it still waits on the customer, so does the order.
        confirms = workflow.patched(PROVIDER_CONFIRMS_TERMINAL)
        wanted = (ProviderState.AUTHORIZED, ProviderState.FAILED)
        wanted += (ProviderState.VOIDED,) if confirms else ()
        key = f"{ctx.order_id}:authorization:{n}"
        while True:
            heard = await self._provider.wait_for(result.payment_id, by - workflow.now(), wanted)
            if heard is None and self._cancels.requested:
                return Paid.CANCEL, result
            if heard is None:
                # Close the door: a challenge passed from now on must not authorise anything.
                voided = await self._money.void(
                    result.payment_id, f"{ctx.order_id}:void:authorization:{n}"
                )
                if voided.state is not MovementState.AUTHORIZED:
                    return None, result.model_copy(
                        update={"state": MovementState.FAILED, "decline_code": "action_timeout"}
                    )
            confirmed = await self._money.confirm(result.payment_id, key)
            if (
                not confirms
                or heard is None
                or confirmed.state is not MovementState.REQUIRES_ACTION
            ):
                return None, confirmed
            self._provider.reset(result.payment_id, ProviderState.REQUIRES_ACTION)

    async def by_invoice(self) -> Paid:
        """Send an e-invoice with its pay link and wait for it to be paid; unpaid at expiry,
        the invoice is withdrawn and the order cancelled (IMA-PAY-3)."""
        ctx, n = self._ctx, self.state.attempt
        expiry = invoice_expiry(ctx.policy, workflow.now())
        key = f"{ctx.order_id}:invoice:{n}"
        invoice = await run(
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
        self._provider.note(invoice.payment_id, ProviderState.REQUIRES_ACTION)
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
        self._set_step(
            OrderStatus.AWAITING_INVOICE_PAYMENT, next_action_url=invoice.next_action_url
        )
        return await self._invoice_paid(invoice, expiry, key)

    async def _invoice_paid(self, invoice: MovementResult, expiry: Deadline, key: str) -> Paid:
        """Wait for the invoice to be paid until it expires; unpaid, it is withdrawn."""
        ctx, n = self._ctx, self.state.attempt
        while await self._provider.wait_for(
            invoice.payment_id, expiry.at - workflow.now(), (ProviderState.CAPTURED,)
        ):
            if (await self._money.confirm(invoice.payment_id, key)).state is MovementState.CAPTURED:
                return await self.capture(paid_by_customer=True)
            # the provider does not confirm the event yet: wait on until the invoice expires
            self._provider.reset(invoice.payment_id, ProviderState.REQUIRES_ACTION)
        if self._cancels.requested:
            return Paid.CANCEL
        voided = await self._money.void(invoice.payment_id, f"{ctx.order_id}:void:invoice:{n}")
        if voided.state is MovementState.CAPTURED:  # paid in the last moment: the payment stands
            if (await self._money.confirm(invoice.payment_id, key)).state is MovementState.CAPTURED:
                return await self.capture(paid_by_customer=True)
        await ctx.record(
            "invoice_expired",
            OrderStatus.CANCELLED,
            f"the e-invoice was not paid by {expiry.at.isoformat()}: order cancelled",
            expiry.clauses,
            details={"payment_id": invoice.payment_id},
        )
        self._set_step(OrderStatus.CANCELLED)
        await ctx.email("invoice_expired", {"expired_at": expiry.at.isoformat(timespec="minutes")})
        return Paid.UNPAID

    async def capture(self, paid_by_customer: bool = False) -> Paid:
        """Capture the authorised payment, unless a cancellation came first. An invoice the
        customer paid is captured already: the ledger records it, and a cancellation then
        refunds it."""
        ctx = self._ctx
        if self._cancels.requested and not paid_by_customer:
            return Paid.CANCEL
        assert ctx.order.payment_id is not None
        key = f"{ctx.order_id}:capture:{self.state.attempt}"
        try:
            await self._money.capture(
                ctx.order.payment_id, ctx.input.total, key, ctx.payment_clauses(), "capture payment"
            )
        except ActivityError as err:
            if not workflow.patched(CAPTURE_FAILED):
                raise
            return await self._capture_failed(ctx.order.payment_id, key, err)
        return self._paid()

    async def _capture_failed(self, payment_id: str, key: str, err: ActivityError) -> Paid:
        """The capture failed for good (refused, or not done within its money window): the
        authorisation is released and the capture's ledger row settled as the provider has
        it, unless the provider says the money was taken after all; then the customer is
        told, an operator's task is opened, and the order ends unpaid, holding nothing."""
        ctx, n, clauses = self._ctx, self.state.attempt, self._ctx.payment_clauses()
        released = await self._money.void(payment_id, f"{ctx.order_id}:void:capture:{n}")
        settled = await self._money.confirm(payment_id, key)
        if MovementState.CAPTURED in (released.state, settled.state):
            self._money.captured_after_all(ctx.input.total)
            return self._paid()
        reason = f"the payment could not be captured ({err.cause or err})"
        await ctx.record(
            "capture_failed",
            OrderStatus.PAYMENT_FAILED,
            f"{reason}: its authorisation was released, nothing is held",
            clauses,
            details={"payment_id": payment_id, "attempt": n},
        )
        await ctx.task("capture_failed", f"{reason}; nothing was taken: tell the customer", clauses)
        await ctx.email(
            "payment_failed", {"reason": "capture_failed", "may_retry": False}, key=f"capture:{n}"
        )
        self._set_step(OrderStatus.PAYMENT_FAILED, decline_code="capture_failed")
        return Paid.UNPAID

    def _paid(self) -> Paid:
        order = self._ctx.order
        order.captured = True
        order.paid_at = workflow.now()
        return Paid.PAID
