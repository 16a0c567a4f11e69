"""After delivery: the return window runs, and the order completes when it has closed and
no return of it is still open."""

from __future__ import annotations

from collections.abc import Callable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.decisions.returns import returns_close_at
    from domain.status import OrderStatus
    from workflows.order.state import OrderContext
    from workflows.returns.desk import ReturnDesk


async def return_window(
    ctx: OrderContext, returns: ReturnDesk, others_done: Callable[[], bool]
) -> None:
    """Open the policy's return window from delivery, wait it out, complete the order once
    nothing else of it (its gift cards) is still running."""
    assert ctx.order.delivered_at is not None
    window = returns_close_at(ctx.policy, ctx.input.placed_at, ctx.order.delivered_at)
    if window is None:
        await workflow.wait_condition(others_done)
        await ctx.record("completed", OrderStatus.COMPLETED, "delivered; no return window", ())
        return
    ctx.order.return_window_closes_at = window.at
    await ctx.record(
        "return_window_opened",
        None,
        f"returns accepted until {window.at.isoformat()}",
        window.clauses,
        deadlines={"return_window_closes_at": window.at},
    )
    if window.at > workflow.now():
        await workflow.sleep(window.at - workflow.now(), summary="return window")
    await workflow.wait_condition(lambda: returns.open == 0 and others_done())
    returns.closed = True
    await ctx.record("completed", OrderStatus.COMPLETED, "return window closed", window.clauses)
