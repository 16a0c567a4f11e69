"""The order's life, step by step: paid, handed to the warehouse at the dispatch slot,
collected by the carrier, followed to delivery (or reshipped, refunded, or settled by an
operator when a parcel is lost or comes back), then the return window; an order of gift cards
only lives as long as its cards. A cancellation asked meanwhile is carried out at the next of
these checkpoints."""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from domain.calendar import is_pinned
    from domain.decisions.fulfilment import parcels
    from domain.decisions.returns import returns_close_at
    from domain.errors import ErrorType
    from domain.orders import OrderSnapshot
    from domain.status import OrderStatus

from workflows.fulfilment.state import Leg
from workflows.order.state import OrderState
from workflows.payment.state import Paid

# Gift cards that fail for good beside the parcels leave a task instead of holding the order.
CARDS_FAILED = "gift-card-failure-surfaces"
# An order of gift cards only whose cards fail for good waits for an operator's refund.
CARDS_ALONE_FAILED = "gift-cards-alone-failure-waits-for-an-operator"


async def life(state: OrderState) -> OrderSnapshot:
    ctx, cancels = state.order, state.cancels
    if not is_pinned(ctx.policy.calendar):
        raise ApplicationError(
            "the order's policy carries no pinned holiday dates",
            type=ErrorType.POLICY_NOT_PINNED.value,
        )
    paid = await state.payment.take()
    if paid is Paid.CANCEL:
        return await cancels.carry_out()
    if paid is Paid.UNPAID:
        return ctx.order
    await ctx.record(
        "paid",
        OrderStatus.PAID,
        f"payment of {ctx.input.total} captured",
        ctx.payment_clauses(),
        details={"payment_id": ctx.order.payment_id},
        deadlines={"paid_at": workflow.now()},
    )
    await ctx.email("order_confirmation")
    state.payment.set_step(OrderStatus.PAID)
    if state.cards.only:
        return await gift_cards_alone(state)
    cards = None
    if state.cards.any:  # each line its own way: the cards beside the parcels
        cards = asyncio.ensure_future(gift_cards_beside(state))
    if not await state.fulfilment.wait_for_slot():
        return await cancels.carry_out()
    if cards is not None and not parcels(ctx.lines):
        return await goods_cancelled(state, cards)
    if not await state.fulfilment.hand_over():
        return await cancels.carry_out()
    if not await delivered(state):
        return await cancels.carry_out()
    if cards is not None and not parcels(ctx.lines):
        return await goods_cancelled(state, cards)
    if ctx.order.status is OrderStatus.DELIVERED:
        await return_window(state)
    if cards is not None and cards.done():
        cards.result()  # what else went wrong with them fails the task here, never silently
    return ctx.order


async def goods_cancelled(state: OrderState, cards: asyncio.Future[None]) -> OrderSnapshot:
    """Every good of a cart that also bought gift cards was cancelled before it left: nothing
    ships, and the order lives as long as its cards (CRD-DIG-3 keeps them)."""
    await cards
    ctx = state.order
    await ctx.record(
        "completed",
        OrderStatus.COMPLETED,
        "its goods were cancelled; every gift card was used or has expired",
        state.cards.delivery.expiry_clauses(),
    )
    return ctx.order


async def gift_cards_beside(state: OrderState) -> None:
    """The gift cards of a cart that also ships goods, supervised: when their delivery or
    care fails for good, the order says so on its timeline and leaves an operator the task
    of issuing or refunding them, and goes on to complete instead of waiting for them."""
    try:
        await state.cards.life()
    except FailureError as err:
        if not workflow.patched(CARDS_FAILED):
            raise  # an order that met this before the patch waits as it did
        clauses = state.cards.delivery.expiry_clauses()
        await state.order.record(
            "gift_cards_failed",
            None,
            f"the gift cards could not be issued or kept: {err.cause or err}",
            clauses,
        )
        await state.order.task(
            "gift_cards_failed", "issue the gift cards by hand, or refund them", clauses
        )
        state.cards.given_up()


async def delivered(state: OrderState) -> bool:
    """Follow the parcels until they arrive or end otherwise; False when a cancellation is to
    be carried out before the carrier collected them."""
    while True:
        if await state.fulfilment.follow() is Leg.CANCEL:
            return False
        status = state.order.order.status
        if status is OrderStatus.LOST and await state.parcels.lost():
            continue
        if status is OrderStatus.RETURNED_TO_SENDER and await state.parcels.came_back():
            continue
        return True


async def gift_cards_alone(state: OrderState) -> OrderSnapshot:
    """An order of gift cards only: it completes when every card is used or expired."""
    ctx = state.order
    try:
        lived = await state.cards.life()
    except FailureError as err:
        if not workflow.patched(CARDS_ALONE_FAILED):
            raise  # an order that met this before the patch failed as it did
        return await gift_cards_settled_by_hand(state, err)
    if not lived:
        return await state.cancels.carry_out()
    await ctx.record(
        "completed",
        OrderStatus.COMPLETED,
        "every gift card was used or has expired",
        state.cards.delivery.expiry_clauses(),
    )
    return ctx.order


async def gift_cards_settled_by_hand(state: OrderState, err: FailureError) -> OrderSnapshot:
    """The cards of an order of gift cards only failed for good (the issuer refused them, or
    their care failed): the timeline says so, an operator is asked to issue them by hand or
    refund them, and the order, its money captured, waits for the operator's refund."""
    ctx, clauses = state.order, state.cards.delivery.expiry_clauses()
    await ctx.record(
        "gift_cards_failed",
        None,
        f"the gift cards could not be issued or kept: {err.cause or err}; the order waits for"
        " an operator",
        clauses,
    )
    state.cards.given_up()
    summary = "issue the gift cards by hand, or refund them"
    await state.parcels.operator_settles("gift_cards_failed", summary, clauses)
    await ctx.record(
        "completed",
        OrderStatus.COMPLETED,
        f"the gift cards were settled by an operator; {state.money.refunded()} refunded",
        clauses,
    )
    return ctx.order


async def return_window(state: OrderState) -> None:
    """Open the policy's return window from delivery, wait it out, complete the order once
    no return or claim of it is still open and its gift cards are done."""
    ctx, returns = state.order, state.returns

    def others_done() -> bool:
        return state.cards.done and state.claims.open == 0

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
    returns.close()
    await ctx.record("completed", OrderStatus.COMPLETED, "return window closed", window.clauses)
