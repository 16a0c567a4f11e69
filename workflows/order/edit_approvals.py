"""An operator's edit that raises the order's total is the customer's to approve: proposed
(on the timeline, e-mailed with the link and the time to answer by, the merchant's
`approval_within`), then carried out as the customer's own edit when approved, or left when
refused or when the time runs out: the order stays as it was, and nothing is charged."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.edits import EditApproval, EditQuote, EditStatus, LineEdit, LineEdited
    from domain.errors import ErrorType
    from domain.orders import OrderLine

from workflows.shared.deadlines import within
from workflows.shared.order import OrderContext
from workflows.shared.refusals import refusal


class Awaiting(BaseModel):
    """An operator's edit that raises the total, waiting for the customer."""

    edit: LineEdit
    answer: LineEdited
    approve_by: datetime
    approval: EditApproval | None = None


def lines_json(lines: list[OrderLine] | tuple[OrderLine, ...]) -> list[dict[str, object]]:
    """Lines as an e-mail and the timeline show them."""
    return [
        {
            "sku": line.sku,
            "name": line.name,
            "quantity": line.quantity,
            "price": str(line.unit_price),
        }
        for line in lines
    ]


Settle = Callable[[LineEdit, EditQuote, "str | None"], Awaitable[LineEdited]]


class EditApprovals:
    def __init__(
        self,
        ctx: OrderContext,
        decide: Callable[[LineEdit], EditQuote],
        settle: Settle,
        done: dict[str, LineEdited],
    ) -> None:
        self._ctx, self._decide, self._settle, self._done = ctx, decide, settle, done
        self.awaiting: dict[str, Awaiting] = {}

    async def propose(self, edit: LineEdit, quote: EditQuote) -> LineEdited:
        ctx = self._ctx
        assert ctx.policy.edit is not None and ctx.policy.edit.lines is not None
        approve_by = workflow.now() + ctx.policy.edit.lines.approval_within
        answer = LineEdited(
            edit_id=edit.edit_id,
            status=EditStatus.AWAITING_APPROVAL,
            quote=quote,
            approve_by=approve_by.isoformat(),
        )
        self.awaiting[edit.edit_id] = Awaiting(edit=edit, answer=answer, approve_by=approve_by)
        await ctx.record(
            "order_edit_proposed",
            None,
            f"{edit.operator or 'an operator'} proposed new lines: total {quote.previous_total} →"
            f" {quote.total}, {quote.difference} more, for the customer to approve",
            quote.clauses,
            details={"edit_id": edit.edit_id, "lines": lines_json(quote.lines)},
            deadlines={"edit_approve_by": approve_by},
        )
        facts = {
            "edit_id": edit.edit_id,
            "after": lines_json(quote.lines),
            "total": str(quote.total),
            "difference": str(quote.difference),
            "approve_by": approve_by.isoformat(),
        }
        await ctx.email("order_edit_approval", facts, key=edit.edit_id)
        asyncio.ensure_future(self._lapse(edit.edit_id))
        return answer

    def check(self, approval: EditApproval) -> None:
        """The approval's validator: an edit waiting, still one the order takes now."""
        waiting = self.awaiting.get(approval.edit_id)
        if waiting is None or waiting.approval is not None:
            done = self._done.get(approval.edit_id)
            if done is not None or waiting is not None:
                return  # answered already: the same outcome again
            raise refusal(
                "no edit of this order waits for approval under this ID",
                (),
                ErrorType.EDIT_REFUSED,
                "edit_id",
            )
        if approval.approve:
            self._decide(waiting.edit.model_copy(update={"payment_token": approval.payment_token}))

    async def answer(self, approval: EditApproval) -> LineEdited:
        """The customer's word: approved, the edit is settled as the customer's own."""
        waiting = self.awaiting.get(approval.edit_id)
        if waiting is None or waiting.approval is not None:
            await workflow.wait_condition(lambda: approval.edit_id in self._done)
            return self._done[approval.edit_id]
        waiting.approval = approval
        edit = waiting.edit.model_copy(update={"payment_token": approval.payment_token})
        if approval.approve:
            quote = self._decide(edit)
            token = approval.payment_token or self._ctx.input.payment_token
            outcome = await self._settle(edit, quote, token)
        else:
            outcome = await self._left(waiting, EditStatus.REFUSED, "refused by the customer")
        del self.awaiting[approval.edit_id]
        return outcome

    async def _lapse(self, edit_id: str) -> None:
        waiting = self.awaiting[edit_id]
        wait = waiting.approve_by - workflow.now()
        if await within(lambda: waiting.approval is not None, wait, "edit approval"):
            return
        del self.awaiting[edit_id]
        await self._left(waiting, EditStatus.LAPSED, "not approved in time")

    async def _left(self, waiting: Awaiting, status: EditStatus, why: str) -> LineEdited:
        """The order stays as it was."""
        outcome = waiting.answer.model_copy(update={"status": status})
        self._done[waiting.edit.edit_id] = outcome
        await self._ctx.record(
            f"order_edit_{status.value}",
            None,
            f"the proposed edit was {why}: the order stays as it was",
            outcome.quote.clauses,
            details={"edit_id": waiting.edit.edit_id},
        )
        return outcome
