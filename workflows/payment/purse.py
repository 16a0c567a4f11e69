"""The order's purse: every movement of the order's money goes through it (capture, void,
the provider's word on a payment, and every refund, whoever asks for it: a cancellation, an
operator, a return, a claim, a gift card, a parcel). Each carries its ledger key
(`<order>:<movement>:<purpose>`), so a retry never moves money twice, and what was captured
and refunded is kept on the snapshot.

A refund is decided against what is refundable: captured, less refunded, less the refunds
still in flight. The decision and the setting aside of the amount are one step of the
workflow, with nothing awaited between them, so two refunds asked at the same moment never
see the same money: the second is capped at what the first left."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.models import (
        ConfirmPayment,
        MovementResult,
        RefundPayment,
        VoidPayment,
    )
    from activities.payments import PaymentActivities
    from domain.decisions.payment import operator_refund
    from domain.errors import ErrorType
    from domain.money import FeeCapture, Money
    from domain.orders import OperatorRefund, OperatorRefunded

from workflows.payment.movements import capture
from workflows.shared.options import MONEY, SHORT, run
from workflows.shared.order import OrderContext
from workflows.shared.refusals import refusal

# A refund asked for when nothing is left to refund is not sent to the provider.
NOTHING_LEFT = "refund-nothing-left-is-not-sent"
# A refund above what the order's own payment has left goes on to its fee payments.
REFUND_BY_PAYMENT = "refund-split-by-payment"


class Purse:
    def __init__(self, ctx: OrderContext) -> None:
        self._ctx = ctx
        self._in_flight = Money.zero(ctx.policy.currency)
        self._sending: dict[str, Money] = {}  # refunds sent and not answered, by payment

    def captured(self) -> Money:
        return self._ctx.order.captured_amount or Money.zero(self._ctx.policy.currency)

    def refunded(self) -> Money:
        return self._ctx.order.refunded or Money.zero(self._ctx.policy.currency)

    def refundable(self) -> Money:
        """Captured, less refunded, less the refunds set aside and not yet answered."""
        return self.captured() - self.refunded() - self._in_flight

    def hold(self, asked: Money) -> Money:
        """Set aside up to `asked` of what is refundable, for a refund about to be sent; what
        was set aside (nothing when the payment cannot be refunded)."""
        order = self._ctx.order
        zero = Money.zero(self._ctx.policy.currency)
        if not (order.captured and order.payment_id) or order.reversed_at is not None:
            return zero  # nothing taken, or the payer's bank took it all back already
        held = max(zero, min(asked, self.refundable(), key=_amount), key=_amount)
        self._in_flight = self._in_flight + held
        return held

    def captured_after_all(self, amount: Money) -> None:
        """The provider says a capture whose answer was lost took the money after all."""
        self._ctx.order.captured_amount = self.captured() + amount

    def _in_flight_too(self, amount: Money) -> Money:
        self._in_flight = self._in_flight + amount
        return amount

    async def capture(
        self,
        payment_id: str,
        amount: Money,
        key: str,
        clauses: tuple[str, ...],
        summary: str,
        *,
        fee: bool = False,
    ) -> None:
        """Take the money of an authorised payment, once under `key`: the order's own, or a
        `fee` paid on a payment of its own (refundable after the order's)."""
        await capture(self._ctx.order_id, payment_id, amount, key, clauses, summary)
        self._ctx.order.captured_amount = self.captured() + amount
        if fee:
            self._ctx.order.fees.append(FeeCapture(payment_id=payment_id, captured=amount))

    async def refund(
        self,
        asked: Money,
        purpose: str,
        clauses: tuple[str, ...],
        what: str,
        *,
        held: bool = False,
    ) -> Money:
        """Give back `asked`, capped at what is refundable (set aside before, `held`), once:
        the ledger and the provider know it by `<order>:refund:<purpose>`. Returns what was
        refunded; a refund the provider refused raises, with nothing counted but the parts on
        other payments that went through before it."""
        order, zero = self._ctx.order, Money.zero(self._ctx.policy.currency)
        if not (order.captured and order.payment_id and asked.amount > 0) or order.reversed_at:
            return zero
        amount = asked if held else self.hold(asked)
        if amount.amount <= 0:
            if workflow.patched(NOTHING_LEFT):
                return zero  # all of it was given back already: nothing is sent
            amount = self._in_flight_too(asked)  # a run from before the purse sent it still
        sent = zero
        try:
            for payment_id, part, key in self._parts(
                amount, f"{self._ctx.order_id}:refund:{purpose}"
            ):
                request = RefundPayment(
                    order_id=self._ctx.order_id,
                    payment_id=payment_id,
                    amount=part,
                    idempotency_key=key,
                    clauses=clauses,
                )
                self._sending[payment_id] = self._sent_on(payment_id) + part
                try:
                    await run(PaymentActivities.refund_payment, request, MONEY, f"refund {what}")
                finally:
                    self._sending[payment_id] = self._sent_on(payment_id) - part
                self._refunded_on(payment_id, part)
                sent = sent + part
        finally:
            self._in_flight = self._in_flight - amount
            if sent.amount > 0:  # a part refused after another went through counts that one
                order.refunded = self.refunded() + sent
        return amount

    async def refund_or_owe(
        self,
        asked: Money,
        purpose: str,
        clauses: tuple[str, ...],
        what: str,
        *,
        failed: str,
        said: str,
        key: str | None = None,
        details: dict[str, str] | None = None,
        patch: str | None = None,
    ) -> Money | None:
        """`refund`, and when the provider refuses it for good: the timeline says what is
        still owed (an entry of kind `failed`, about `said`), an operator gets the task of
        paying it by hand, and None is returned instead of an error (from `patch` on, for a
        path that once let the error through)."""
        try:
            return await self.refund(asked, purpose, clauses, what)
        except ActivityError as err:
            if patch is not None and not workflow.patched(patch):
                raise
            ctx = self._ctx
            await ctx.record(
                failed,
                None,
                f"{said} did not go through ({err.cause or err}): {asked} is still owed to the"
                " customer",
                clauses,
                details={**(details or {}), "owed": str(asked)},
            )
            await ctx.task(
                "refund_owed", f"refund {asked} by hand: the provider refused it", clauses, key=key
            )
            return None

    def _sent_on(self, payment_id: str) -> Money:
        return self._sending.get(payment_id, Money.zero(self._ctx.policy.currency))

    def _refunded_on(self, payment_id: str, part: Money) -> None:
        for fee in self._ctx.order.fees:
            if fee.payment_id == payment_id:
                fee.refunded = (fee.refunded or Money.zero(part.currency)) + part
                return

    def _parts(self, amount: Money, key: str) -> list[tuple[str, Money, str]]:
        """`amount` by the payment it is given back on, each part under its own key: the
        order's own payment (`key`) up to what it has left, then its fee payments in turn
        (`key:fee:<n>`). The provider refunds each payment up to its own capture only."""
        order, zero = self._ctx.order, Money.zero(self._ctx.policy.currency)
        assert order.payment_id is not None
        whole = [(order.payment_id, amount, key)]
        if not order.fees:
            return whole
        on_fees = sum((f.captured for f in order.fees), zero)
        back_on_fees = sum((f.refunded or zero for f in order.fees), zero)
        left_on = [
            self.captured() - on_fees - (self.refunded() - back_on_fees),
            *(f.captured - (f.refunded or zero) for f in order.fees),
        ]
        payments = [order.payment_id, *(f.payment_id for f in order.fees)]
        parts: list[tuple[str, Money, str]] = []
        rest = amount
        for n, (payment_id, left) in enumerate(zip(payments, left_on, strict=True)):
            take = max(zero, min(rest, left - self._sent_on(payment_id), key=_amount), key=_amount)
            if take.amount > 0:
                parts.append((payment_id, take, key if n == 0 else f"{key}:fee:{n}"))
                rest = rest - take
        if len(parts) == 1 and parts[0][0] == order.payment_id:
            return whole
        if rest.amount > 0 or not parts or not workflow.patched(REFUND_BY_PAYMENT):
            return whole  # what a run from before the split sent, all on the order's payment
        return parts

    async def void(
        self,
        payment_id: str,
        key: str,
        clauses: tuple[str, ...] | None = None,
        amount: Money | None = None,
    ) -> MovementResult:
        """Release a payment not captured; when the provider refuses (it was captured or
        failed meanwhile), the payment is confirmed as it stands instead."""
        request = VoidPayment(
            order_id=self._ctx.order_id,
            payment_id=payment_id,
            amount=amount or self._ctx.input.total,
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
            self._ctx.policy, self.captured(), self.captured() - self.refundable(), request.amount
        )
        if not decision.allowed:
            raise refusal(decision.reason, decision.clauses, ErrorType.REFUND_REFUSED)

    async def refund_for_operator(self, request: OperatorRefund) -> OperatorRefunded:
        """An operator gives money back, up to what is refundable, under its own ledger key."""
        decision = operator_refund(
            self._ctx.policy, self.captured(), self.captured() - self.refundable(), request.amount
        )
        refunded = await self.refund(
            request.amount, f"operator:{request.refund_id}", decision.clauses, "by an operator"
        )
        capped = (
            "" if refunded == request.amount else f" of {request.amount} asked (all that was left)"
        )
        await self._ctx.record(
            "operator_refund",
            None,
            f"{refunded} refunded by {request.operator}{capped}",
            decision.clauses,
            details={
                "refund_id": request.refund_id,
                "operator": request.operator,
                "amount": str(refunded),
            },
        )
        await self._ctx.email("operator_refund", {"refund": str(refunded)}, key=request.refund_id)
        return OperatorRefunded(
            refund_id=request.refund_id,
            amount=refunded,
            refunded_total=self.refunded(),
            clauses=decision.clauses,
        )


def _amount(money: Money) -> object:
    return money.amount
