"""The order's claims desk: a claim filed is decided at once from the policy (update
`open_claim`) and started as a child workflow (`claim-<claim_id>`); the order stays open while
any claim of it is; a claim's refund is paid here, once, bounded by what remains refundable."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ChildWorkflowError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from domain.claims import (
        ClaimFiled,
        ClaimInput,
        ClaimRefundAsk,
        ClaimRefundPaid,
        ClaimSnapshot,
        ClaimStarted,
    )
    from domain.claims import started as claim_started
    from domain.decisions.claims import ClaimOpening, Filing, claim_refund, open_claim
    from domain.errors import ErrorType
    from domain.money import Money

from workflows import names
from workflows.claims.messages import answer_refund
from workflows.payment.purse import Purse
from workflows.shared.order import OrderContext
from workflows.shared.refusals import refusal


class ClaimDesk:
    def __init__(self, ctx: OrderContext, money: Purse) -> None:
        self._ctx, self._money = ctx, money
        self._started: dict[str, ClaimStarted] = {}
        self._running: set[str] = set()
        self._paid: dict[str, ClaimRefundPaid] = {}
        self._lock = asyncio.Lock()

    @property
    def open(self) -> int:
        return len(self._running)

    def check(self, filed: ClaimFiled) -> ClaimOpening | None:
        """Whether the order takes this claim now; None for a claim it already took."""
        ctx = self._ctx
        if filed.claim_id in self._started:
            return None
        order = ctx.order
        if filed.sku is not None and filed.sku not in {line.sku for line in ctx.lines}:
            raise refusal(
                f"{filed.sku} is not a line of this order", (), ErrorType.CLAIM_REFUSED, "sku"
            )
        opening = open_claim(
            ctx.policy,
            Filing(
                kind=filed.kind,
                purchased_at=ctx.input.placed_at,
                delivered_at=order.delivered_at,
                model=filed.sku,
                category=next((line.category for line in ctx.lines if line.sku == filed.sku), None),
                evidence=filed.evidence_kinds,
                has_invoice=filed.has_invoice,
                store_mediation=filed.store_mediation,
                standing=f"the order is {order.status.value}",
                paid=order.captured,
                shipped_at=order.shipped_at,
            ),
            workflow.now(),
        )
        if not opening.decision.allowed:
            raise refusal(
                opening.decision.reason,
                opening.decision.clauses,
                ErrorType.CLAIM_REFUSED,
                opening.field or "kind",
            )
        return opening

    async def start(self, filed: ClaimFiled) -> ClaimStarted:
        """Start the claim's workflow; filed again with the same ID, the same answer."""
        ctx = self._ctx
        opening = self.check(filed)
        if opening is None:
            return self._started[filed.claim_id]
        claim = ClaimInput(
            claim_id=filed.claim_id,
            kind=filed.kind,
            policy=ctx.policy,
            order_id=ctx.order_id,
            sku=filed.sku,
            purchased_at=ctx.input.placed_at,
            delivered_at=ctx.order.delivered_at,
            opened_at=workflow.now(),
            **opening.taken(),
            has_parent=True,
            refundable=self._money.refundable(),
            destination_country=ctx.input.destination_country,
        )
        self._running.add(filed.claim_id)
        handle = await workflow.start_child_workflow(
            "ClaimWorkflow",
            claim,
            id=names.claim_workflow_id(filed.claim_id),
            result_type=ClaimSnapshot,
            static_summary=f"Claim {filed.claim_id} of order {ctx.order_id} · {filed.kind.value}",
            # it outlives an order that failed or was terminated, and still reaches its refund
            parent_close_policy=ParentClosePolicy.ABANDON,
        )
        started = claim_started(claim)
        self._started[filed.claim_id] = started
        await ctx.record(
            "claim_filed",
            None,
            f"claim {filed.claim_id} ({filed.kind.value})",
            opening.decision.clauses,
            details={"claim_id": filed.claim_id},
        )
        asyncio.ensure_future(self._until_closed(filed.claim_id, handle))
        return started

    async def _until_closed(
        self, claim_id: str, handle: workflow.ChildWorkflowHandle[Any, ClaimSnapshot]
    ) -> None:
        try:
            await handle
        except ChildWorkflowError:
            pass  # failed or terminated: it no longer holds the order open
        self._running.discard(claim_id)

    async def settle(self, ask: ClaimRefundAsk) -> None:
        """A claim's refund: paid once under `<order>:refund:claim:<id>`, then told to it."""
        async with self._lock:
            paid = self._paid.get(ask.claim_id)
            if paid is None:
                paid = await self._pay(ask)
                self._paid[ask.claim_id] = paid
        await answer_refund(paid)

    async def _pay(self, ask: ClaimRefundAsk) -> ClaimRefundPaid:
        money = self._money
        amount = claim_refund(ask.amount, money.refundable())
        try:
            refunded = await money.refund(
                amount, f"claim:{ask.claim_id}", ask.clauses, f"claim {ask.claim_id}"
            )
        except ActivityError as err:
            return ClaimRefundPaid(
                claim_id=ask.claim_id,
                refunded=Money.zero(amount.currency),
                failed=f"the refund of {amount} did not go through ({err.cause or err}): {amount} is still owed",
            )
        await self._ctx.record(
            "claim_refund",
            None,
            f"claim {ask.claim_id}: {refunded} refunded",
            ask.clauses,
            details={"claim_id": ask.claim_id, "refunded": str(refunded)},
        )
        return ClaimRefundPaid(claim_id=ask.claim_id, refunded=refunded)
