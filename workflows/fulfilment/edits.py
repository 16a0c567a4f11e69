"""The customer's address edits within the edit window (IMA-EDT-1): each applied and recorded
once; the handover to the warehouse waits for an edit still running, so a parcel never leaves
with the old address after a new one was accepted."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.models import ApplyAddressChange
    from activities.store import StoreActivities
    from domain.decisions.changes import edit_window
    from domain.orders import AddressChange, AddressChanged

from workflows.shared.options import SHORT, run
from workflows.shared.order import OrderContext


class AddressEdits:
    def __init__(self, ctx: OrderContext) -> None:
        self._ctx = ctx
        self.running = 0

    async def apply(self, change: AddressChange) -> AddressChanged:
        """Apply a new shipping address the edit window allowed."""
        ctx = self._ctx
        decision = edit_window(ctx.policy, ctx.facts(), workflow.now())
        self.running += 1
        try:
            await run(
                StoreActivities.apply_address_change,
                ApplyAddressChange(order_id=ctx.order_id, change_id=change.change_id),
                SHORT,
                "apply address change",
            )
            await ctx.record(
                "shipping_address_changed",
                None,
                "shipping address changed",
                decision.clauses,
                details={"change_id": change.change_id},
            )
        finally:
            self.running -= 1
        return AddressChanged(
            change_id=change.change_id,
            clauses=decision.clauses,
            edit_window_closes_at=decision.deadlines.get("edit_window_closes_at"),
        )
