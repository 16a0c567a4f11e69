"""Some of the order's lines cancelled before the carrier collects them, by the customer where
the policy's cancellation allows it or by an operator: decided by
`domain.decisions.line_edits.partial_cancellation` (the policy's bands for those lines,
KWO-CAN-1..4; a gift card stays, CRD-DIG-3), then carried out once: the lines the order keeps
become its lines, the labels of parcels left empty are voided, and the refund goes through
the purse under `<order>:refund:cancellation:lines:<id>`."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.carriers import CarrierActivities
    from activities.models import VoidLabel
    from domain.decisions.line_edits import LinesCancelled, partial_cancellation
    from domain.edits import PartialCancel, PartlyCancelled, Settlement
    from domain.errors import ErrorType
    from domain.money import Money
    from domain.status import TrackingStatus

from workflows.fulfilment.edits import AddressEdits
from workflows.order.edit_approvals import lines_json
from workflows.order.line_edits import set_lines
from workflows.payment.purse import Purse
from workflows.shared.cancels import Cancels
from workflows.shared.options import SHORT, run
from workflows.shared.order import OrderContext
from workflows.shared.refusals import refusal


class LineCancels:
    def __init__(
        self, ctx: OrderContext, money: Purse, cancels: Cancels, gate: AddressEdits
    ) -> None:
        self._ctx, self._money, self._cancels, self._gate = ctx, money, cancels, gate
        self._done: dict[str, PartlyCancelled] = {}

    def _decided(self, ask: PartialCancel) -> LinesCancelled:
        ctx = self._ctx
        judged = partial_cancellation(
            ctx.policy,
            ctx.facts(self._cancels.requested),
            ask.lines,
            workflow.now(),
            by_operator=bool(ask.operator),
        )
        if not judged.decision.allowed or judged.refund is None:
            decision = judged.decision
            raise refusal(decision.reason, decision.clauses, ErrorType.CANCEL_REFUSED, judged.field)
        return judged

    def check(self, ask: PartialCancel) -> None:
        """The update's validator: lines already cancelled under this ID get the same answer."""
        if ask.cancel_id not in self._done:
            self._decided(ask)

    async def carry_out(self, ask: PartialCancel) -> PartlyCancelled:
        if ask.cancel_id in self._done:
            return self._done[ask.cancel_id]
        ctx = self._ctx
        judged = self._decided(ask)
        assert judged.refund is not None
        clauses = judged.decision.clauses
        self._gate.running += 1
        try:
            before = ctx.lines
            if any(label == "shipping" for label, _ in judged.refund_lines):
                ctx.order.shipping_total = Money.zero(ctx.policy.currency)
            ctx.order.total = ctx.total - judged.refund
            key = f"{ctx.order_id}:cancel-lines:{ask.cancel_id}"
            await set_lines(ctx, key, list(judged.kept))
            await self._void_empty_parcels()
            settled, refunded = await self._refund(ask, judged.refund, clauses)
            who = f" by {ask.operator}" if ask.operator else ""
            await ctx.record(
                "lines_cancelled",
                None,
                f"{judged.decision.reason}{who}",
                clauses,
                details={
                    "cancel_id": ask.cancel_id,
                    "refund": str(refunded),
                    "settlement": settled.value,
                    "lines": lines_json(judged.kept),
                },
            )
            facts = {
                "before": lines_json(before),
                "after": lines_json(judged.kept),
                "total": str(ctx.total),
                "difference": str(Money.zero(refunded.currency) - judged.refund),
                "settlement": settled.value,
                "moved": str(refunded),
            }
            await ctx.email("order_changed", facts, key=ask.cancel_id)
        finally:
            self._gate.running -= 1
        done = PartlyCancelled(
            cancel_id=ask.cancel_id,
            lines=judged.kept,
            refund=refunded,
            refund_lines=judged.refund_lines,
            clauses=clauses,
            settlement=settled,
        )
        self._done[ask.cancel_id] = done
        return done

    async def _refund(
        self, ask: PartialCancel, amount: Money, clauses: tuple[str, ...]
    ) -> tuple[Settlement, Money]:
        if amount.amount <= 0:
            return Settlement.NONE, amount
        back = await self._money.refund_or_owe(
            amount,
            f"cancellation:lines:{ask.cancel_id}",
            clauses,
            "cancelled lines",
            failed="cancellation_refund_failed",
            said="the refund of the cancelled lines",
            key=ask.cancel_id,
            details={"cancel_id": ask.cancel_id},
        )
        return (Settlement.REFUNDED, back) if back is not None else (Settlement.REFUND_OWED, amount)

    async def _void_empty_parcels(self) -> None:
        """Labels bought for parcels none of whose lines are left are cancelled."""
        ctx = self._ctx
        left = {line.parcel for line in ctx.lines if not line.is_digital}
        for parcel in ctx.order.shipments:
            gone = parcel.parcel not in left and parcel.status is TrackingStatus.PRE_TRANSIT
            if gone and not parcel.voided:
                await run(
                    CarrierActivities.void_shipping_label,
                    VoidLabel(order_id=ctx.order_id, label_id=parcel.label_id),
                    SHORT,
                    f"void label {parcel.tracking_number}",
                )
                parcel.voided = True
