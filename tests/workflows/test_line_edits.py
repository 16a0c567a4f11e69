"""Edits of what an order bought, and some of its lines cancelled, on the time-skipping server
and the presets as shipped: imalent's quantity edits within the edit window, each difference
charged or refunded once under its own ledger key, and refused after the handover (IMA-EDT-1);
an operator's swap that waits for the customer's approval and lapses; kwoking's lines
cancelled before pickup by the band and refused after (KWO-CAN-1, KWO-CAN-3); a cardnet cart
whose goods are cancelled and whose gift cards stay (CRD-DIG-3)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import time, timedelta
from decimal import Decimal

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.decisions.line_edits import Judged
from domain.edits import (
    EditOp,
    EditOrigin,
    EditStatus,
    LineChange,
    LineEdit,
    LineEdited,
    LinesToCancel,
    PartialCancel,
    PartlyCancelled,
    Settlement,
)
from domain.money import Money
from domain.orders import OrderLine, OrderSnapshot
from domain.policy import Policy
from tests.domain.helpers import preset
from tests.integration.harness import wait_for
from tests.workflows.fakes import (
    FakeWorld,
    clock_at,
    emailed,
    order_input,
    picked_up,
    record_history,
    refused,
    running_order,
)
from workflows.names import (
    QUERY_ORDER,
    QUERY_PREVIEW_EDIT,
    UPDATE_CANCEL_LINES,
    UPDATE_EDIT_LINES,
)

LAMP = OrderLine(sku="LAMP-1", name="Lamp", quantity=2, unit_price=Decimal("19.90"))
CASE = OrderLine(sku="CASE-1", name="Case", quantity=1, unit_price=Decimal("5.00"))
STRAP = OrderLine(sku="STRAP-1", name="Strap", quantity=1, unit_price=Decimal("8.00"))


def quantity(edit_id: str, sku: str, n: int, **more: object) -> LineEdit:
    change = LineChange(op=EditOp.QUANTITY, sku=sku, quantity=n)
    return LineEdit(edit_id=edit_id, changes=(change,), **more)  # type: ignore[arg-type]


@asynccontextmanager
async def paid(
    env: WorkflowEnvironment, world: FakeWorld, policy: Policy, lines: list[OrderLine]
) -> AsyncIterator[WorkflowHandle]:
    """An order of `lines` under `policy`, paid on a Tuesday at 17:00, after the day's cut-off:
    it goes to the warehouse the next business day."""
    await clock_at(env, policy, 1, time(17, 0))
    placed = order_input(f"wf-{uuid.uuid4().hex[:8]}", policy)
    currency = policy.currency
    items = sum(
        (Money(amount=x.unit_price, currency=currency).times(x.quantity) for x in lines),
        Money.zero(currency),
    )
    order = placed.model_copy(update={"lines": lines, "items_total": items, "total": items})
    async with running_order(env, world, order) as handle:

        async def settled() -> bool:
            now = await handle.query(QUERY_ORDER, result_type=OrderSnapshot)
            return now.dispatch_at is not None

        await wait_for(settled, within=30)
        yield handle


async def test_imalent_quantity_up_then_down_within_the_window_and_refused_after_handover(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-EDT-1: the lines change until the order goes to the warehouse; the difference is
    charged once, then refunded once, each under its own ledger key."""
    world = FakeWorld()
    imalent = preset("imalent")
    async with paid(time_env, world, imalent, [LAMP]) as handle:
        oid = handle.id.removeprefix("order-")
        preview = await handle.query(
            QUERY_PREVIEW_EDIT, quantity("e1", "LAMP-1", 3), result_type=Judged
        )
        assert preview.decision.allowed and preview.quote is not None
        assert str(preview.quote.difference) == "19.90 USD" and "IMA-EDT-1" in preview.quote.clauses
        assert not any("edit" in c for c in world.calls)  # a preview changes nothing
        up = await handle.execute_update(
            UPDATE_EDIT_LINES, quantity("e1", "LAMP-1", 3), result_type=LineEdited
        )
        assert up.status is EditStatus.APPLIED and up.settlement is Settlement.CHARGED
        assert str(up.moved) == "19.90 USD" and str(up.quote.total) == "59.70 USD"
        again = await handle.execute_update(
            UPDATE_EDIT_LINES, quantity("e1", "LAMP-1", 3), result_type=LineEdited
        )
        assert again == up  # the same edit twice is one edit
        await time_env.sleep(timedelta(hours=1))
        down = await handle.execute_update(
            UPDATE_EDIT_LINES, quantity("e2", "LAMP-1", 1), result_type=LineEdited
        )
        assert down.settlement is Settlement.REFUNDED and str(down.moved) == "39.80 USD"
        facts = await emailed(world, "order_changed", settlement="refunded")
        assert facts["before"][0]["quantity"] == 3 and facts["after"][0]["quantity"] == 1
        snapshot = await handle.query(QUERY_ORDER, result_type=OrderSnapshot)
        assert snapshot.lines is not None and snapshot.lines[0].quantity == 1
        assert str(snapshot.total) == "19.90 USD" and str(snapshot.refunded) == "39.80 USD"
        from workflows.shared.order import current_details

        assert "**Lines, as changed:** 1 × `LAMP-1`; total 19.90 USD" in current_details(snapshot)
        assert snapshot.dispatch_at is not None
        await time_env.sleep(snapshot.dispatch_at - await time_env.get_current_time())
        late = await refused(
            handle.execute_update(UPDATE_EDIT_LINES, quantity("e3", "LAMP-1", 2)), "EditRefused"
        )
        assert late == ["IMA-EDT-1", "order"]
        await record_history(handle, "lines_edited_charged_and_refunded")
        await handle.terminate("test over")
    money = [c for c in world.calls if c.startswith(("authorize", "capture", "refund"))]
    assert money == [
        f"authorize:{oid}:authorization:1",
        f"capture:{oid}:capture:1",
        f"authorize:{oid}:authorization:edit:e1",
        f"capture:{oid}:capture:edit:e1",
        f"refund:{oid}:refund:edit:e2:39.80 USD",
    ]
    assert f"reserve_edit:{oid}:edit:e1:{{'LAMP-1': 1}}" in world.calls
    assert "lines:1xLAMP-1:19.90 USD:released {'LAMP-1': 2}" in world.calls


async def test_imalent_edits_that_cannot_be_are_refused_with_their_field(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-EDT-1 and the merchant's line-edit setting: an unknown line, the last line gone,
    a line out of stock; each refused at once, nothing charged or changed."""
    world = FakeWorld(in_stock=False)
    async with paid(time_env, world, preset("imalent"), [LAMP]) as handle:
        unknown = await refused(
            handle.execute_update(UPDATE_EDIT_LINES, quantity("x1", "NOPE", 2)), "EditRefused"
        )
        assert unknown == [None, "changes[0].sku"]
        remove = LineEdit(edit_id="x2", changes=(LineChange(op=EditOp.REMOVE, sku="LAMP-1"),))
        assert (await refused(handle.execute_update(UPDATE_EDIT_LINES, remove), "EditRefused"))[
            1
        ] == "changes"
        out = await refused(
            handle.execute_update(UPDATE_EDIT_LINES, quantity("x3", "LAMP-1", 5)), "EditRefused"
        )
        assert out == ["IMA-EDT-1", "changes"]
        await handle.terminate("test over")
    assert not any(c.startswith(("authorize:", "capture:")) and "edit" in c for c in world.calls)
    assert not any(c.startswith("lines:") for c in world.calls)


async def test_kwoking_has_no_line_edits_and_says_so(time_env: WorkflowEnvironment) -> None:
    """A preset with no edit rule takes no line edit (a merchant setting, not a clause)."""
    world = FakeWorld()
    async with paid(time_env, world, preset("kwoking"), [LAMP]) as handle:
        refusal = await refused(
            handle.execute_update(UPDATE_EDIT_LINES, quantity("k1", "LAMP-1", 3)), "EditRefused"
        )
        assert refusal == [None, "order"]
        await handle.terminate("test over")


async def test_an_operators_swap_waits_for_approval_then_lapses(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-EDT-1: an operator swaps an item for a dearer one; the customer is asked, does not
    answer within imalent's two days, and the order stays as it was, nothing charged."""
    world = FakeWorld()
    async with paid(time_env, world, preset("imalent"), [LAMP, CASE]) as handle:
        swap = LineEdit(
            edit_id="op1",
            changes=(LineChange(op=EditOp.SWAP, sku="CASE-1", line=STRAP),),
            origin=EditOrigin.OPERATOR,
            operator="Amal",
        )
        proposed = await handle.execute_update(UPDATE_EDIT_LINES, swap, result_type=LineEdited)
        assert proposed.status is EditStatus.AWAITING_APPROVAL and proposed.approve_by
        assert str(proposed.quote.difference) == "3.00 USD"
        facts = await emailed(world, "order_edit_approval")
        assert facts["edit_id"] == "op1" and facts["difference"] == "3.00 USD"
        await time_env.sleep(timedelta(days=2, minutes=1))

        async def lapsed() -> bool:
            return any(e.kind == "order_edit_lapsed" for e in world.events)

        await wait_for(lapsed, within=30)
        after = await handle.execute_update(UPDATE_EDIT_LINES, swap, result_type=LineEdited)
        assert after.status is EditStatus.LAPSED
        snapshot = await handle.query(QUERY_ORDER, result_type=OrderSnapshot)
        assert snapshot.lines is None  # as placed
        await record_history(handle, "line_edit_approval_lapsed")
        await handle.terminate("test over")
    assert not any("edit:op1" in c for c in world.calls if c.startswith(("authorize", "capture")))


async def test_kwoking_cancels_two_of_three_lines_before_pickup_by_the_band(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-CAN-1: two of three lines cancelled within 24 hours of payment, refunded in full
    for those lines (shipping stays: the parcel still goes); KWO-CAN-3: refused once the
    carrier collected the parcel."""
    world = FakeWorld()
    async with paid(time_env, world, preset("kwoking"), [LAMP, CASE, STRAP]) as handle:
        oid = handle.id.removeprefix("order-")
        ask = PartialCancel(
            cancel_id="c1", lines=(LinesToCancel(sku="CASE-1"), LinesToCancel(sku="STRAP-1"))
        )
        done = await handle.execute_update(UPDATE_CANCEL_LINES, ask, result_type=PartlyCancelled)
        assert str(done.refund) == "13.00 EUR" and "KWO-CAN-1" in done.clauses
        assert [line.sku for line in done.lines] == ["LAMP-1"]
        snapshot = await handle.query(QUERY_ORDER, result_type=OrderSnapshot)
        assert snapshot.dispatch_at is not None
        await time_env.sleep(snapshot.dispatch_at - await time_env.get_current_time())
        await picked_up(time_env, handle)
        late = await refused(
            handle.execute_update(
                UPDATE_CANCEL_LINES,
                PartialCancel(cancel_id="c2", lines=(LinesToCancel(sku="LAMP-1", quantity=1),)),
            ),
            "CancelRefused",
        )
        assert late == ["KWO-CAN-3", "order"]
        await record_history(handle, "lines_cancelled_before_pickup")
        await handle.terminate("test over")
    assert [c for c in world.calls if c.startswith("refund")] == [
        f"refund:{oid}:refund:cancellation:lines:c1:13.00 EUR"
    ]


async def test_a_cardnet_cart_cancels_its_goods_and_keeps_its_gift_cards(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-DIG-3: a cart of a gift card and a lamp. The card is not cancelled; cardnet
    publishes no cancellation rule, so the customer cannot cancel the lamp, but an operator can
    before the carrier collects it: refunded with the shipping (nothing ships any more), its
    label voided, and the order lives on as long as its card."""
    from tests.workflows.test_digital_cards import card_order, cards_of

    world = FakeWorld()
    order = card_order(f"wf-{uuid.uuid4().hex[:8]}", "100.00", lamp=True)
    async with running_order(time_env, world, order) as handle:
        await cards_of(handle)

        async def labelled() -> bool:
            return any(c.startswith("label:") for c in world.calls)

        await wait_for(labelled, within=30)
        card = PartialCancel(cancel_id="g1", lines=(LinesToCancel(sku="GIFT-100.00"),))
        kept = await refused(handle.execute_update(UPDATE_CANCEL_LINES, card), "CancelRefused")
        assert kept == ["CRD-DIG-3", "lines[0].sku"]
        lamp = PartialCancel(cancel_id="l1", lines=(LinesToCancel(sku="LAMP-1"),))
        mine = await refused(handle.execute_update(UPDATE_CANCEL_LINES, lamp), "CancelRefused")
        assert mine == [None, "order"]  # publishes no cancellation rule
        by_shop = lamp.model_copy(update={"operator": "Noura"})
        done = await handle.execute_update(
            UPDATE_CANCEL_LINES, by_shop, result_type=PartlyCancelled
        )
        assert str(done.refund) == "105.00 SAR" and "CRD-DIG-3" in done.clauses
        assert [line.sku for line in done.lines] == ["GIFT-100.00"]
        await time_env.sleep(timedelta(days=1))
        snapshot = await handle.query(QUERY_ORDER, result_type=OrderSnapshot)
        assert snapshot.shipped_at is None and all(s.voided for s in snapshot.shipments)
        assert str(snapshot.refunded) == "105.00 SAR"
        await record_history(handle, "goods_cancelled_gift_cards_kept")
        await handle.terminate("test over")
    assert [c for c in world.calls if c.startswith(("refund", "void_label"))] == [
        "void_label:lbl_1",
        f"refund:{order.order_id}:refund:cancellation:lines:l1:105.00 SAR",
    ]


async def test_an_operators_raise_approved_by_the_customer_is_charged_once(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-EDT-1: an operator adds a line; the customer approves it with a card of their
    choice, and the difference is charged on it once."""
    from domain.edits import EditApproval
    from workflows.names import UPDATE_ANSWER_EDIT

    world = FakeWorld()
    async with paid(time_env, world, preset("imalent"), [LAMP]) as handle:
        oid = handle.id.removeprefix("order-")
        add = LineEdit(
            edit_id="op2",
            changes=(LineChange(op=EditOp.ADD, line=CASE),),
            origin=EditOrigin.OPERATOR,
            operator="Amal",
        )
        proposed = await handle.execute_update(UPDATE_EDIT_LINES, add, result_type=LineEdited)
        assert proposed.status is EditStatus.AWAITING_APPROVAL
        yes = EditApproval(edit_id="op2", approve=True, payment_token="pm_other_card")
        approved = await handle.execute_update(UPDATE_ANSWER_EDIT, yes, result_type=LineEdited)
        assert approved.status is EditStatus.APPLIED and str(approved.moved) == "5.00 USD"
        again = await handle.execute_update(UPDATE_ANSWER_EDIT, yes, result_type=LineEdited)
        assert again == approved
        snapshot = await handle.query(QUERY_ORDER, result_type=OrderSnapshot)
        assert [line.sku for line in snapshot.lines or []] == ["LAMP-1", "CASE-1"]
        await record_history(handle, "line_edit_approved")
        await handle.terminate("test over")
    assert [c for c in world.calls if "edit:op2" in c and c.startswith("capture")] == [
        f"capture:{oid}:capture:edit:op2"
    ]


async def test_kwoking_lines_cancelled_after_24_hours_go_by_the_second_band(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-CAN-2, KWO-CAN-4: a line cancelled 24 hours and a minute after payment is refunded
    by the second band, the one a merchant may set apart by category."""
    world = FakeWorld()
    kwoking = preset("kwoking")
    async with paid(time_env, world, kwoking, [LAMP, CASE]) as handle:
        await time_env.sleep(timedelta(hours=24, minutes=1))
        snapshot = await handle.query(QUERY_ORDER, result_type=OrderSnapshot)
        assert snapshot.shipped_at is None
        ask = PartialCancel(cancel_id="c3", lines=(LinesToCancel(sku="CASE-1"),))
        done = await handle.execute_update(UPDATE_CANCEL_LINES, ask, result_type=PartlyCancelled)
        assert "KWO-CAN-2" in done.clauses and "KWO-CAN-1" not in done.clauses
        assert str(done.refund) == "5.00 EUR"
        await handle.terminate("test over")


async def test_a_raise_whose_capture_is_refused_changes_nothing_and_holds_nothing(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-EDT-1: the difference authorised, then its capture refused for good: the
    authorisation is voided, the reserved units go back, and the order stays as it was."""
    world = FakeWorld()
    async with paid(time_env, world, preset("imalent"), [LAMP]) as handle:
        oid = handle.id.removeprefix("order-")
        world.capture_refused = True
        declined = await handle.execute_update(
            UPDATE_EDIT_LINES, quantity("r1", "LAMP-1", 4), result_type=LineEdited
        )
        assert declined.status is EditStatus.DECLINED and declined.decline_code == "capture_refused"
        snapshot = await handle.query(QUERY_ORDER, result_type=OrderSnapshot)
        assert snapshot.lines is None and str(snapshot.captured_amount) == "39.80 USD"
        await record_history(handle, "line_edit_capture_refused")
        await handle.terminate("test over")
    assert f"void:{oid}:void:edit:r1" in world.calls
    assert f"release_edit:{oid}:edit:r1" in world.calls
    assert not any(c.startswith("lines:") for c in world.calls)


async def test_a_whole_cancellation_after_a_raise_refunds_both_payments(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-EDT-1: cancelled after an edit raised the total, the order gives back all of it,
    each payment up to its own capture: the order's, then the edit's."""
    from domain.orders import CancelOutcome, CancelRequest
    from workflows.names import UPDATE_CANCEL

    world = FakeWorld()
    async with paid(time_env, world, preset("imalent"), [LAMP]) as handle:
        oid = handle.id.removeprefix("order-")
        await handle.execute_update(
            UPDATE_EDIT_LINES, quantity("e9", "LAMP-1", 3), result_type=LineEdited
        )
        outcome = await handle.execute_update(
            UPDATE_CANCEL, CancelRequest(), result_type=CancelOutcome
        )
        assert str(outcome.refund) == "59.70 USD"
        await handle.result()
        await record_history(handle, "cancelled_after_a_line_edit_raise")
    assert [c for c in world.calls if c.startswith("refund")] == [
        f"refund:{oid}:refund:cancellation:39.80 USD",
        f"refund:{oid}:refund:cancellation:fee:1:19.90 USD",
    ]
