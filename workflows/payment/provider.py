"""What the payment provider has said about each of the order's payments: the furthest state
its webhooks and answers reached, never moved back, so an event that arrives twice, late, or
for an older attempt changes nothing. A webhook is a hint: a reversal of the captured payment
is asked of the provider, and only the provider's own word opens a chargeback for an
operator to decide; nothing is cancelled on a webhook's say-so."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.models import ConfirmPayment
    from activities.payments import PaymentActivities
    from domain.chargebacks import ChargebackDecided, ChargebackDecision
    from domain.decisions.payment import (
        LEDGER_STATES,
        advance_payment,
        chargeback,
        payment_progress,
        reversal_cancellation,
    )
    from domain.errors import ErrorType
    from domain.orders import CancelOrigin, PaymentEvent
    from domain.status import MovementState, ProviderState

from workflows.shared.cancels import Cancels
from workflows.shared.deadlines import within
from workflows.shared.options import SHORT, run
from workflows.shared.order import OrderContext
from workflows.shared.refusals import refusal

# A reversal webhook is confirmed with the provider before anything follows from it.
CONFIRMED_REVERSALS = "reversal-asks-the-provider"


class ProviderStates:
    def __init__(self, ctx: OrderContext, cancels: Cancels) -> None:
        self._ctx, self._cancels = ctx, cancels
        self.states: dict[str, ProviderState] = {}
        self.checks: list[asyncio.Task[None]] = []
        self.chargeback_open = False
        self.chargeback_decided = False

    def heard(self, event: PaymentEvent) -> None:
        """Apply a provider's webhook."""
        if not event.payment_id:
            return
        moved = payment_progress(self.states.get(event.payment_id), event.type)
        if moved is None:
            return
        self.states[event.payment_id] = moved
        order = self._ctx.order
        if moved is ProviderState.REVERSED and event.payment_id == order.payment_id:
            if workflow.patched(CONFIRMED_REVERSALS):
                self.checks.append(asyncio.create_task(self._reversal(event.payment_id)))
                return
            decided = reversal_cancellation(self._ctx.policy, shipped=order.shipped_at is not None)
            if decided is not None:
                self._cancels.ask(CancelOrigin.REVERSAL, decided)

    async def _reversal(self, payment_id: str) -> None:
        """Ask the provider whether the payer really took the payment back. Confirmed, the
        order owes no refund any more and an operator decides the chargeback; denied, the
        provider's answer stands and the event is recorded as what it was."""
        ctx = self._ctx
        request = ConfirmPayment(
            order_id=ctx.order_id,
            payment_id=payment_id,
            idempotency_key=f"{ctx.order_id}:reversal:{payment_id}",
        )
        try:
            answer = await run(
                PaymentActivities.confirm_payment,
                request,
                SHORT,
                "ask the provider about a reversal",
            )
        except ActivityError:
            # The provider refused to answer for good: a person looks at it there.
            self.chargeback_open = True
            await ctx.task(
                "chargeback",
                f"a reversal of {payment_id} was reported and the provider could not confirm "
                "it: look at the payment at the provider",
                ctx.payment_clauses(),
            )
            return
        if answer.state is not MovementState.REVERSED:
            self.reset(payment_id, LEDGER_STATES.get(answer.state, ProviderState.CAPTURED))
            await ctx.record(
                "payment_event_unconfirmed",
                None,
                f"a reversal of {payment_id} was reported, but the provider says it is "
                f"{answer.state}: nothing changes",
                ctx.payment_clauses(),
                details={"payment_id": payment_id, "provider_state": answer.state},
            )
            return
        order = ctx.order
        if order.reversed_at is not None:
            return
        order.reversed_at = workflow.now()
        self.chargeback_open = True
        decided = chargeback(ctx.policy, shipped=order.shipped_at is not None)
        await ctx.record(
            "payment_reversed",
            None,
            f"the provider confirms the payer took {payment_id} back: {decided.reason}",
            decided.clauses,
            details={"payment_id": payment_id},
        )
        await ctx.task(
            "chargeback",
            f"payment {payment_id} taken back by the payer: accept or contest the chargeback",
            decided.clauses,
        )

    def may_decide_chargeback(self) -> None:
        if not self.chargeback_open or self.chargeback_decided:
            raise refusal(
                "no chargeback of this order waits for a decision",
                self._ctx.payment_clauses(),
                ErrorType.CHARGEBACK_REFUSED,
            )

    async def decide_chargeback(self, decision: ChargebackDecision) -> ChargebackDecided:
        """An operator accepts or contests a confirmed chargeback; accepted before the parcel
        left, the order is cancelled with nothing to refund (the payer has the money)."""
        ctx, order = self._ctx, self._ctx.order
        self.chargeback_decided = True
        decided = chargeback(ctx.policy, shipped=order.shipped_at is not None)
        cancelling = decision.accept and decided.allowed
        if decision.accept and order.reversed_at is None:  # the operator saw it at the provider
            order.reversed_at = workflow.now()
        if cancelling:
            cancelled = reversal_cancellation(ctx.policy, shipped=False)
            assert cancelled is not None
            self._cancels.ask(CancelOrigin.REVERSAL, cancelled)
        verb = "accepted" if decision.accept else "contested"
        await ctx.record(
            "chargeback_decided",
            None,
            f"chargeback {verb} by {decision.operator or 'an operator'}"
            + (": the order is cancelled" if cancelling else ""),
            decided.clauses,
            details={
                "accepted": decision.accept,
                "operator": decision.operator,
                "note": decision.note,
            },
        )
        await ctx.task("chargeback", closed=True)
        return ChargebackDecided(
            accepted=decision.accept, cancelled=cancelling, clauses=decided.clauses
        )

    def note(self, payment_id: str, state: ProviderState) -> None:
        """What the provider answered directly, unless a webhook already told more."""
        moved = advance_payment(self.states.get(payment_id), state)
        if moved is not None:
            self.states[payment_id] = moved

    def reset(self, payment_id: str, state: ProviderState) -> None:
        """The provider's own answer contradicts a webhook: its answer stands."""
        self.states[payment_id] = state

    async def wait_for(
        self, payment_id: str, wait: timedelta, wanted: tuple[ProviderState, ...]
    ) -> ProviderState | None:
        """Wait for the provider to report one of `wanted` for this payment (the customer
        acting on a 3-D Secure, PayPal or invoice page); None when the time ran out or a
        cancellation came first."""
        acted = await within(
            lambda: self.states.get(payment_id) in wanted or self._cancels.requested,
            max(wait, timedelta(seconds=1)),
            "customer's payment action",
        )
        if not acted:
            return None
        state = self.states.get(payment_id)
        return state if state in wanted else None
