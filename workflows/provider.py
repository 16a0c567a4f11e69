"""What the payment provider has said about each of the order's payments: the furthest state
its webhooks and answers reached, never moved back, so an event that arrives twice, late, or
for an older attempt changes nothing. A captured payment the payer took back before the
parcel left cancels the order."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.decisions.payment import advance_payment, payment_progress, reversal_cancellation
    from domain.orders import CancelOrigin, PaymentEvent
    from domain.status import ProviderState
    from workflows.cancellation import Cancellations
    from workflows.context import OrderContext


class ProviderStates:
    def __init__(self, ctx: OrderContext, cancels: Cancellations) -> None:
        self._ctx, self._cancels = ctx, cancels
        self.states: dict[str, ProviderState] = {}

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
            decided = reversal_cancellation(self._ctx.policy, shipped=order.shipped_at is not None)
            if decided is not None:
                self._cancels.ask(CancelOrigin.REVERSAL, decided)

    def note(self, payment_id: str, state: ProviderState) -> None:
        """What the provider answered directly, unless a webhook already told more."""
        moved = advance_payment(self.states.get(payment_id), state)
        if moved is not None:
            self.states[payment_id] = moved

    def reset(self, payment_id: str, state: ProviderState) -> None:
        """The provider's own answer contradicts a webhook: its answer stands."""
        self.states[payment_id] = state

    async def wait_for(
        self, payment_id: str, within: timedelta, wanted: tuple[ProviderState, ...]
    ) -> ProviderState | None:
        """Wait for the provider to report one of `wanted` for this payment (the customer
        acting on a 3-D Secure, PayPal or invoice page); None when the time ran out or a
        cancellation came first."""
        try:
            await workflow.wait_condition(
                lambda: self.states.get(payment_id) in wanted or self._cancels.requested,
                timeout=max(within, timedelta(seconds=1)),
                timeout_summary="customer's payment action",
            )
        except TimeoutError:
            return None
        state = self.states.get(payment_id)
        return state if state in wanted else None
