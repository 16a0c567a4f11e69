"""The order's returns desk: a return asked for is decided at once from the policy and
started as a child workflow (`return-<rma_id>`); the order stays open while any return of it
is; and every return's refund is decided and paid here, one at a time, so that together
they never give back more than was captured."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ActivityError, ChildWorkflowError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from domain.decisions.return_lines import returnable
    from domain.decisions.return_refunds import InspectionFacts, refund_breakdown
    from domain.decisions.returns import (
        ReturnOutcome,
        ReturnRequest,
        return_eligibility,
    )
    from domain.errors import ErrorType
    from domain.money import Money
    from domain.returns import (
        Resolution,
        ReturnLine,
        ReturnOpened,
        ReturnRefundAsk,
        ReturnRefundPaid,
        ReturnRequested,
        ReturnSnapshot,
        ReturnWorkflowInput,
    )
    from domain.status import OrderStatus, ReturnStatus

from workflows import names
from workflows.payment.purse import Purse
from workflows.returns.messages import answer_refund
from workflows.shared.order import OrderContext
from workflows.shared.refusals import refusal

# Returns that end this way gave nothing back: their lines may be asked for again.
NOTHING_CAME_BACK = {ReturnStatus.REJECTED, ReturnStatus.EXPIRED}


class ReturnDesk:
    def __init__(self, ctx: OrderContext, money: Purse) -> None:
        self._ctx, self._money = ctx, money
        self._open: dict[str, dict[str, int]] = {}  # returns still running: their quantities
        self._kept: dict[str, dict[str, int]] = {}  # returns ended with goods back
        self._opened: dict[str, ReturnOpened] = {}
        self._paid: dict[str, ReturnRefundPaid] = {}
        self._lock = asyncio.Lock()
        self._shipping_refunded = Money.zero(ctx.policy.currency)
        self.closed = False  # the order is completing: no return can start any more

    @property
    def open(self) -> int:
        return len(self._open)

    def _taken(self) -> dict[str, int]:
        """The quantity of each SKU the returns still open or already settled hold."""
        taken: dict[str, int] = {}
        for quantities in (*self._open.values(), *self._kept.values()):
            for sku, quantity in quantities.items():
                taken[sku] = taken.get(sku, 0) + quantity
        return taken

    def check(self, request: ReturnRequested) -> ReturnOutcome | None:
        """Whether the order takes this return now; None for a request it already took."""
        ctx = self._ctx
        if request.rma_id in self._opened:
            return None
        rules = ctx.policy.returns
        window = tuple(c for w in rules.windows for c in w.clauses) if rules else ()
        if ctx.order.status is not OrderStatus.DELIVERED or self.closed:
            raise refusal(
                f"the order is {ctx.order.status.value}: returns are asked for after delivery "
                "and within the return window",
                window,
                ErrorType.RETURN_REFUSED,
                "order",
            )
        items, lines = returnable(ctx.lines, self._taken(), request.lines)
        if not lines.allowed:
            raise refusal(lines.reason, lines.clauses, ErrorType.RETURN_REFUSED, "lines")
        outcome = return_eligibility(
            ctx.policy,
            ReturnRequest(
                reason=request.reason,
                items=items,
                purchased_at=ctx.input.placed_at,
                delivered_at=ctx.order.delivered_at,
                has_original_invoice=request.has_original_invoice,
                exchange=request.resolution is Resolution.EXCHANGE,
                replacement=request.resolution is Resolution.REPLACEMENT,
                described=request.described,
                evidence=tuple(k.value for k in request.evidence_kinds),
            ),
            workflow.now(),
        )
        if not outcome.decision.allowed:
            raise refusal(
                outcome.decision.reason,
                outcome.decision.clauses,
                ErrorType.RETURN_REFUSED,
                outcome.field or "",
            )
        return outcome

    def _input(self, request: ReturnRequested, outcome: ReturnOutcome) -> ReturnWorkflowInput:
        """The return's workflow input: its lines as the order sold them, and the decision."""
        ctx = self._ctx
        by_sku = {line.sku: line for line in ctx.lines}
        lines = [
            ReturnLine(
                sku=asked.sku,
                name=by_sku[asked.sku].name,
                category=by_sku[asked.sku].category,
                quantity=asked.quantity,
                unit_price=by_sku[asked.sku].unit_price,
                opened=asked.opened,
                used=asked.used,
            )
            for asked in request.lines
        ]
        return ReturnWorkflowInput(
            rma_id=request.rma_id,
            order_id=ctx.order_id,
            policy=ctx.policy,
            reason=request.reason,
            resolution=request.resolution,
            exchange_sku=request.exchange_sku,
            lines=lines,
            needs_approval=outcome.needs_rma,
            seller_label=outcome.seller_label,
            currency=ctx.policy.currency,
            destination_country=ctx.input.destination_country,
            requested_at=workflow.now(),
            window_closes_at=outcome.window_closes_at,
            clauses=outcome.decision.clauses,
            priority=outcome.priority,
        )

    async def start(self, request: ReturnRequested) -> ReturnOpened:
        """Start the return's workflow; asked again with the same RMA, the same answer."""
        ctx = self._ctx
        outcome = self.check(request)
        if outcome is None:
            return self._opened[request.rma_id]
        started = self._input(request, outcome)
        self._open[request.rma_id] = {line.sku: line.quantity for line in started.lines}
        handle = await workflow.start_child_workflow(
            "ReturnWorkflow",
            started,
            id=names.return_workflow_id(request.rma_id),
            result_type=ReturnSnapshot,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(names.RETURN_STATUS, ReturnStatus.REQUESTED.value),
                    SearchAttributePair(names.MERCHANT, ctx.policy.merchant),
                ]
            ),
            static_summary=f"Return {request.rma_id} of order {ctx.order_id} · "
            f"{request.reason.value} · {request.resolution.value}",
            # it outlives an order that failed or was terminated, and still reaches its refund
            parent_close_policy=ParentClosePolicy.ABANDON,
        )
        status = ReturnStatus.REQUESTED if outcome.needs_rma else ReturnStatus.APPROVED
        opened = ReturnOpened(
            rma_id=request.rma_id,
            status=status,
            needs_approval=outcome.needs_rma,
            window_closes_at=outcome.window_closes_at,
            seller_label=outcome.seller_label,
            clauses=outcome.decision.clauses,
            snapshot=ReturnSnapshot.opening(started).model_copy(update={"status": status}),
        )
        self._opened[request.rma_id] = opened
        await ctx.record(
            "return_requested",
            None,
            f"return {request.rma_id} asked for ({request.reason.value})",
            outcome.decision.clauses,
            details={"rma_id": request.rma_id},
        )
        asyncio.ensure_future(self._until_closed(request.rma_id, handle))
        return opened

    def close(self) -> None:
        """The order is completing: no return can start any more."""
        self.closed = True

    async def _until_closed(
        self, rma_id: str, handle: workflow.ChildWorkflowHandle[Any, ReturnSnapshot]
    ) -> None:
        try:
            ended: ReturnSnapshot | None = await handle
        except ChildWorkflowError:
            ended = None  # failed or terminated: its goods count as back, to be safe
        goods = self._open.pop(rma_id)
        if ended is None or ended.status not in NOTHING_CAME_BACK:
            self._kept[rma_id] = goods

    async def settle(self, ask: ReturnRefundAsk) -> None:
        """A return's inspected goods: decide and pay its refund once, then tell it."""
        async with self._lock:
            paid = self._paid.get(ask.rma_id)
            if paid is None:
                paid = await self._grant(ask)
                self._paid[ask.rma_id] = paid
        await answer_refund(paid)

    async def _grant(self, ask: ReturnRefundAsk) -> ReturnRefundPaid:
        """The grant is recorded first, with its breakdown and clauses; then the refund runs
        under `<order>:refund:return:<rma>`, bounded by what remains refundable."""
        ctx, money = self._ctx, self._money
        breakdown = refund_breakdown(
            ctx.policy,
            InspectionFacts(
                reason=ask.reason,
                items=ask.items,
                approved=ask.approved,
                shipping_refundable=ctx.shipping_total - self._shipping_refunded,
                refundable=money.refundable(),
                inspected_at=ask.inspected_at,
            ),
        )
        held = money.hold(breakdown.total)  # decided and set aside in one step
        await ctx.record(
            "return_refund_granted",
            None,
            f"return {ask.rma_id}: {breakdown.total} granted",
            breakdown.clauses,
            details={"rma_id": ask.rma_id, "breakdown": breakdown.model_dump(mode="json")},
            deadlines={f"refund_{ask.rma_id}_by": breakdown.pay_by} if breakdown.pay_by else None,
        )
        try:
            refunded = await money.refund(
                held, f"return:{ask.rma_id}", breakdown.clauses, f"return {ask.rma_id}", held=True
            )
        except ActivityError as err:
            failed = f"the refund of {held} did not go through ({err.cause or err}): {held} is still owed"
            return ReturnRefundPaid(
                rma_id=ask.rma_id,
                breakdown=breakdown,
                refunded=Money.zero(ctx.policy.currency),
                failed=failed,
            )
        self._shipping_refunded = self._shipping_refunded + breakdown.shipping
        return ReturnRefundPaid(rma_id=ask.rma_id, breakdown=breakdown, refunded=refunded)
