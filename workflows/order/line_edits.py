"""Edits of what the order bought, while its edit window is open (IMA-EDT-1, the merchant's
line-edit setting): a quantity, a line removed, added or swapped. Each is decided by
`domain.decisions.line_edits`, then settled once under its own keys: units more reserved from
stock, a higher total charged on a payment of its own (`<order>:authorization:edit:<id>`,
`…:capture:edit:<id>`), a lower one refunded through the purse (`<order>:refund:edit:<id>`);
the lines and totals the fulfilment, returns and cancellations go by are then the new ones.
An operator's edit that raises the total waits for the customer's approval, and lapses back
to the order as it was when none comes in time. The handover to the warehouse waits for an
edit being settled, so a parcel never leaves with the lines of before."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.models import ApplyLineEdit, EditStock
    from activities.store import StoreActivities
    from domain.decisions.line_edits import Judged, line_edit, unit_moves
    from domain.decisions.quote import quote_order
    from domain.edits import (
        EditOrigin,
        EditQuote,
        EditStatus,
        LineEdit,
        LineEdited,
        Settlement,
    )
    from domain.errors import ErrorType
    from domain.money import Money
    from domain.orders import OrderLine
    from domain.status import MovementState

from workflows.fulfilment.edits import AddressEdits
from workflows.order.edit_approvals import EditApprovals, lines_json
from workflows.payment.movements import authorise
from workflows.payment.purse import Purse
from workflows.shared.cancels import Cancels
from workflows.shared.options import SHORT, run
from workflows.shared.order import OrderContext
from workflows.shared.refusals import refusal


async def set_lines(
    ctx: OrderContext, key: str, lines: list[OrderLine], totals: EditQuote | None = None
) -> None:
    """The order's lines (and, given a quote, its totals) as they now stand, in the workflow
    and in the read model; units no longer taken go back to stock."""
    before = ctx.lines
    ctx.order.lines = list(lines)
    if totals is not None:
        ctx.order.shipping_total, ctx.order.total = totals.shipping_total, totals.total
    _, fewer = unit_moves(before, list(lines))
    items = quote_order(ctx.policy, list(lines)).items
    await run(
        StoreActivities.apply_line_edit,
        ApplyLineEdit(
            order_id=ctx.order_id,
            edit_key=key,
            lines=list(lines),
            items_total=items,
            shipping_total=ctx.shipping_total,
            total=ctx.total,
            release=fewer,
        ),
        SHORT,
        "apply the new lines",
    )


class LineEdits:
    def __init__(
        self, ctx: OrderContext, money: Purse, cancels: Cancels, gate: AddressEdits
    ) -> None:
        self._ctx, self._money, self._cancels, self._gate = ctx, money, cancels, gate
        self._done: dict[str, LineEdited] = {}
        self.approvals = EditApprovals(ctx, self._decided, self._settle, self._done)

    def judge(self, edit: LineEdit, can_charge: bool = True) -> Judged:
        """What the edit would make of the order now (the `preview_edit` query); nothing
        changes."""
        ctx = self._ctx
        facts = ctx.facts(self._cancels.requested)
        return line_edit(ctx.policy, facts, edit.changes, workflow.now(), can_charge=can_charge)

    def _decided(self, edit: LineEdit) -> EditQuote:
        """The edit's quote, or the refusal (clause and field) as the update's error."""
        judged = self.judge(edit, bool(edit.payment_token or self._ctx.input.payment_token))
        if not judged.decision.allowed or judged.quote is None:
            decision = judged.decision
            raise refusal(decision.reason, decision.clauses, ErrorType.EDIT_REFUSED, judged.field)
        return judged.quote

    def check(self, edit: LineEdit) -> None:
        """The update's validator: an edit already taken gets its answer again."""
        if edit.edit_id not in self._done and edit.edit_id not in self.approvals.awaiting:
            self._decided(edit)

    async def apply(self, edit: LineEdit) -> LineEdited:
        """Carry out an edit once; asked again under its ID, the same answer."""
        if edit.edit_id in self._done:
            return self._done[edit.edit_id]
        if edit.edit_id in self.approvals.awaiting:
            return self.approvals.awaiting[edit.edit_id].answer
        quote = self._decided(edit)
        if edit.origin is EditOrigin.OPERATOR and quote.raises:
            return await self.approvals.propose(edit, quote)
        token = edit.payment_token or self._ctx.input.payment_token
        return await self._settle(edit, quote, token)

    async def _settle(self, edit: LineEdit, quote: EditQuote, token: str | None) -> LineEdited:
        ctx, oid = self._ctx, self._ctx.order_id
        key = f"{oid}:edit:{edit.edit_id}"
        self._gate.running += 1
        try:
            stock = EditStock(order_id=oid, reservation_key=key, units=quote.reserve)
            if quote.reserve and not await run(
                StoreActivities.reserve_edit_stock, stock, SHORT, "reserve stock for the edit"
            ):
                raise refusal(
                    "not enough in stock for this edit: nothing was changed",
                    quote.clauses,
                    ErrorType.EDIT_REFUSED,
                    "changes",
                )
            settled, moved = Settlement.NONE, None
            if quote.raises:
                declined = await self._charge(edit, quote, token)
                if declined is not None:
                    if quote.reserve:
                        await run(StoreActivities.release_edit_stock, stock, SHORT, "release")
                    return self._answer(edit, quote, EditStatus.DECLINED, decline=declined)
                settled, moved = Settlement.CHARGED, quote.difference
            before = ctx.lines
            await set_lines(ctx, key, list(quote.lines), quote)
            if quote.difference.amount < 0:
                settled, moved = await self._refund(edit, quote)
            await self._told(edit, quote, before, settled, moved)
            return self._answer(edit, quote, EditStatus.APPLIED, settled, moved)
        finally:
            self._gate.running -= 1

    async def _charge(self, edit: LineEdit, quote: EditQuote, token: str | None) -> str | None:
        """Charge the difference on a payment of its own; the decline code when refused."""
        oid, amount = self._ctx.order_id, quote.difference
        assert token is not None
        auth = await authorise(
            oid,
            amount,
            token,
            f"{oid}:authorization:edit:{edit.edit_id}",
            quote.clauses,
            "authorise the edit's difference",
        )
        if auth.state is not MovementState.AUTHORIZED:
            return auth.decline_code or auth.state.value
        try:
            await self._money.capture(
                auth.payment_id,
                amount,
                f"{oid}:capture:edit:{edit.edit_id}",
                quote.clauses,
                "capture the edit's difference",
                fee=True,
            )
        except ActivityError:
            # refused for good after the authorisation: released, and the edit not made
            key = f"{oid}:void:edit:{edit.edit_id}"
            await self._money.void(auth.payment_id, key, quote.clauses, amount)
            return "capture_refused"
        return None

    async def _refund(self, edit: LineEdit, quote: EditQuote) -> tuple[Settlement, Money]:
        """Give back what the edit took off; one the provider refuses is an operator's task."""
        owed = Money.zero(quote.difference.currency) - quote.difference
        back = await self._money.refund_or_owe(
            owed,
            f"edit:{edit.edit_id}",
            quote.clauses,
            "the edit's difference",
            failed="edit_refund_failed",
            said="the edit's refund",
            key=edit.edit_id,
            details={"edit_id": edit.edit_id},
        )
        return (Settlement.REFUNDED, back) if back is not None else (Settlement.REFUND_OWED, owed)

    async def _told(
        self,
        edit: LineEdit,
        quote: EditQuote,
        before: list[OrderLine],
        settled: Settlement,
        moved: Money | None,
    ) -> None:
        ctx = self._ctx
        by = f" by {edit.operator}" if edit.operator else ""
        money = f"; {moved} {settled.value}" if moved is not None else ""
        await ctx.record(
            "order_edited",
            None,
            f"lines changed{by}: total {quote.previous_total} → {quote.total}{money}",
            quote.clauses,
            details={
                "edit_id": edit.edit_id,
                "difference": str(quote.difference),
                "settlement": settled.value,
                "lines": lines_json(quote.lines),
            },
        )
        facts = {
            "before": lines_json(before),
            "after": lines_json(quote.lines),
            "total": str(quote.total),
            "difference": str(quote.difference),
            "settlement": settled.value,
            "moved": str(moved) if moved is not None else None,
        }
        await ctx.email("order_changed", facts, key=edit.edit_id)

    def _answer(
        self,
        edit: LineEdit,
        quote: EditQuote,
        status: EditStatus,
        settled: Settlement = Settlement.NONE,
        moved: Money | None = None,
        *,
        decline: str | None = None,
    ) -> LineEdited:
        answer = LineEdited(
            edit_id=edit.edit_id,
            status=status,
            quote=quote,
            settlement=settled,
            moved=moved,
            decline_code=decline,
        )
        self._done[edit.edit_id] = answer
        return answer
