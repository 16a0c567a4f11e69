"""The order's money moves: capture, refund, void and the provider's word on a payment.
Each carries its ledger key (`<order>:<movement>:<purpose>`), so a retry never moves money
twice, and what was captured and refunded is kept on the snapshot."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.models import (
        AuthorizePayment,
        CapturePayment,
        ConfirmPayment,
        MovementResult,
        RefundPayment,
        VoidPayment,
    )
    from activities.payments import PaymentActivities
    from domain.decisions.payment import operator_refund
    from domain.errors import ErrorType
    from domain.money import Money
    from domain.orders import OperatorRefund, OperatorRefunded
    from workflows.shared.options import MONEY, SHORT, run
    from workflows.shared.order import OrderContext
    from workflows.shared.refusals import refusal


async def authorise(
    order_id: str, amount: Money, token: str, key: str, clauses: tuple[str, ...], summary: str
) -> MovementResult:
    """A payment of `amount` on the customer's card token, authorised once under `key`."""
    request = AuthorizePayment(
        order_id=order_id, amount=amount, payment_token=token, idempotency_key=key, clauses=clauses
    )
    result = await run(PaymentActivities.authorize_payment, request, MONEY, summary)
    return result


async def capture(
    order_id: str,
    payment_id: str,
    amount: Money,
    key: str,
    clauses: tuple[str, ...],
    summary: str,
) -> None:
    """Take the money of an authorised payment, once under `key`."""
    request = CapturePayment(
        order_id=order_id,
        payment_id=payment_id,
        amount=amount,
        idempotency_key=key,
        clauses=clauses,
    )
    await run(PaymentActivities.capture_payment, request, MONEY, summary)


class MoneyMoves:
    def __init__(self, ctx: OrderContext) -> None:
        self._ctx = ctx

    def captured(self) -> Money:
        return self._ctx.order.captured_amount or Money.zero(self._ctx.policy.currency)

    def refunded(self) -> Money:
        return self._ctx.order.refunded or Money.zero(self._ctx.policy.currency)

    async def capture(
        self, payment_id: str, amount: Money, key: str, clauses: tuple[str, ...], summary: str
    ) -> None:
        """Take the money of an authorised payment, once under `key`."""
        await capture(self._ctx.order_id, payment_id, amount, key, clauses, summary)
        self._ctx.order.captured_amount = self.captured() + amount

    async def refund(
        self, amount: Money, purpose: str, clauses: tuple[str, ...], what: str
    ) -> Money:
        """Give `amount` back to the order's captured payment, once: the ledger and the
        provider know it by `<order>:refund:<purpose>`. Returns what was refunded."""
        order = self._ctx.order
        if not (order.captured and order.payment_id and amount.amount > 0):
            return Money.zero(self._ctx.policy.currency)
        if order.reversed_at is not None:  # the payer's bank took it all back already
            return Money.zero(self._ctx.policy.currency)
        request = RefundPayment(
            order_id=self._ctx.order_id,
            payment_id=order.payment_id,
            amount=amount,
            idempotency_key=f"{self._ctx.order_id}:refund:{purpose}",
            clauses=clauses,
        )
        await run(PaymentActivities.refund_payment, request, MONEY, f"refund {what}")
        order.refunded = self.refunded() + amount
        return amount

    async def void(
        self, payment_id: str, key: str, clauses: tuple[str, ...] | None = None
    ) -> MovementResult:
        """Release a payment not captured; when the provider refuses (it was captured or
        failed meanwhile), the payment is confirmed as it stands instead."""
        request = VoidPayment(
            order_id=self._ctx.order_id,
            payment_id=payment_id,
            amount=self._ctx.input.total,
            idempotency_key=key,
            clauses=self._ctx.payment_clauses() if clauses is None else clauses,
        )
        try:
            return await run(PaymentActivities.void_payment, request, MONEY, "void payment")
        except ActivityError:
            return await self.confirm(payment_id, key)

    async def confirm(self, payment_id: str, key: str) -> MovementResult:
        """Ask the provider where a payment stands and settle the ledger row under `key`."""
        request = ConfirmPayment(
            order_id=self._ctx.order_id, payment_id=payment_id, idempotency_key=key
        )
        return await run(
            PaymentActivities.confirm_payment, request, SHORT, "confirm payment with the provider"
        )

    def check_operator_refund(self, request: OperatorRefund) -> None:
        """Refuse an operator's refund above what is refundable (the update's validator)."""
        decision = operator_refund(
            self._ctx.policy, self.captured(), self.refunded(), request.amount
        )
        if not decision.allowed:
            raise refusal(decision.reason, decision.clauses, ErrorType.REFUND_REFUSED)

    async def refund_for_operator(self, request: OperatorRefund) -> OperatorRefunded:
        """An operator gives money back, up to what is refundable, under its own ledger key."""
        decision = operator_refund(
            self._ctx.policy, self.captured(), self.refunded(), request.amount
        )
        await self.refund(
            request.amount, f"operator:{request.refund_id}", decision.clauses, "by an operator"
        )
        await self._ctx.record(
            "operator_refund",
            None,
            f"{request.amount} refunded by {request.operator}",
            decision.clauses,
            details={
                "refund_id": request.refund_id,
                "operator": request.operator,
                "amount": str(request.amount),
            },
        )
        await self._ctx.email(
            "operator_refund", {"refund": str(request.amount)}, key=request.refund_id
        )
        return OperatorRefunded(
            refund_id=request.refund_id,
            amount=request.amount,
            refunded_total=self.refunded(),
            clauses=decision.clauses,
        )
