"""The refund a return's order grants: asked of the order once the goods are inspected, and
recorded with its breakdown and whether it was paid in time; left to an operator when the
order is no longer running."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from domain.returns import (
        ReturnRefundAsk,
        inspected_items,
    )
    from domain.status import ReturnStatus

from workflows.returns.messages import ask_refund
from workflows.returns.state import ReturnContext

# A return whose order is no longer running leaves its refund to an operator.
ORPHANED = "orphaned-return-refund-is-a-task"


class ReturnRefund:
    def __init__(self, ctx: ReturnContext) -> None:
        self._ctx, self._p = ctx, ctx.progress

    async def _owed_without_an_order(self) -> None:
        """The order ended (failed, or terminated by an operator) before it could pay: the
        return closes with its refund left to an operator, who decides and pays it by hand."""
        ctx = self._ctx
        order = ctx.input.order_id
        await ctx.record(
            "return_refund_owed",
            ReturnStatus.CLOSED,
            f"order {order} is no longer running: the refund is left to an operator",
            (),
        )
        await ctx.task(
            "return_refund_owed",
            f"order {order} is no longer running: decide and pay this return's refund by hand",
        )
        self._p.settled = True

    async def refund(self) -> None:
        """The order decides the refund from the inspection and pays it once, under the
        return's key; the return records the breakdown and whether it was paid in time."""
        ctx, snap = self._ctx, self._ctx.snapshot
        assert self._p.inspection is not None and snap.inspected_at is not None
        ask = ReturnRefundAsk(
            rma_id=ctx.rma_id,
            reason=snap.reason,
            items=inspected_items(snap.lines, self._p.inspection),
            inspected_at=snap.inspected_at,
        )
        try:
            await ask_refund(ask)
        except FailureError:
            if not workflow.patched(ORPHANED):
                raise
            return await self._owed_without_an_order()
        await workflow.wait_condition(lambda: self._p.paid is not None)
        assert self._p.paid is not None
        breakdown = self._p.paid.breakdown
        snap.breakdown, snap.refund_pay_by = breakdown, breakdown.pay_by
        if self._p.paid.failed:
            await ctx.record("return_refund_failed", ReturnStatus.CLOSED, self._p.paid.failed, ())
            await ctx.task("return_refund_failed", self._p.paid.failed, breakdown.clauses)
            self._p.settled = True
            return
        snap.refunded = self._p.paid.refunded
        late = breakdown.pay_by is not None and workflow.now() > breakdown.pay_by
        self._p.settled = True
        await ctx.record(
            "return_refunded",
            ReturnStatus.REFUNDED if snap.refunded.amount > 0 else ReturnStatus.CLOSED,
            f"{snap.refunded} refunded to the original payment method"
            + (" (after the refund time)" if late else ""),
            breakdown.clauses,
            details={
                "breakdown": breakdown.model_dump(mode="json"),
                "late": late,
            },
            deadlines={"refund_pay_by": breakdown.pay_by} if breakdown.pay_by else None,
        )
        await ctx.email(
            "return_refunded",
            {
                "refund": str(snap.refunded),
                "lines": [[line.label, str(line.amount)] for line in breakdown.lines],
            },
        )
