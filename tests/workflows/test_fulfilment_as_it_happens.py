"""Fulfilment as it happens, on the shipped presets as they are (no held dispatch): the order
is handed to the warehouse at its slot, shipped when the carrier collects it at the merchant's
pickup, and until then the policy's cancellation, edit and card-ownership rules still apply.
Time-skipping server; each test first moves the clock to a known merchant-local moment."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import time, timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment

from domain.calendar import pin_calendar
from domain.decisions.fulfilment import pickup_at
from domain.orders import (
    AddressChange,
    AddressChanged,
    CancelOutcome,
    CancelRequest,
    OrderSnapshot,
    OwnershipRejection,
)
from domain.status import OrderStatus
from tests.domain.helpers import preset
from tests.integration.harness import wait_for
from tests.workflows.fakes import (
    FakeWorld,
    clock_at,
    emailed,
    labelled,
    opened_task,
    order_input,
    picked_up,
    record_history,
    refused,
    running_order,
)
from workflows.names import (
    QUERY_ORDER,
    UPDATE_CANCEL,
    UPDATE_CHANGE_SHIPPING_ADDRESS,
    UPDATE_REJECT_CARD,
)


@asynccontextmanager
async def order_of(
    env: WorkflowEnvironment, world: FakeWorld, merchant: str
) -> AsyncIterator[WorkflowHandle[Any, Any]]:
    """The merchant's order, placed now on the test server's clock, its calendar pinned then."""
    now = await env.get_current_time()
    order = order_input(f"wf-{uuid.uuid4().hex[:8]}", preset(merchant)).model_copy(
        update={"policy": pin_calendar(preset(merchant), now), "placed_at": now}
    )
    async with running_order(env, world, order) as handle:
        yield handle


async def snapshot(handle: WorkflowHandle[Any, Any]) -> OrderSnapshot:
    return await handle.query(QUERY_ORDER, result_type=OrderSnapshot)


def money_calls(world: FakeWorld) -> list[str]:
    return [c for c in world.calls if c.startswith(("refund", "void:", "void_label"))]


# -- kwoking: cancellable until the carrier collects the parcel ------------------------------


@pytest.mark.parametrize(
    ("after", "band"),
    [(timedelta(hours=23, minutes=59), "KWO-CAN-1"), (timedelta(hours=24, minutes=1), "KWO-CAN-2")],
)
async def test_kwoking_cancel_before_pickup_refunds_in_full_and_voids_the_label(
    time_env: WorkflowEnvironment, after: timedelta, band: str
) -> None:
    """KWO-CAN-1, KWO-CAN-2: paid Friday after the day's pickup, the parcel waits for
    Monday's; a cancellation 23 h 59 m or 24 h 01 m after payment is in time, refunds the
    price and shipping in full under its band, and the label is voided."""
    kwoking = preset("kwoking")
    paid = await clock_at(time_env, kwoking, 4, time(18, 0))
    world = FakeWorld()
    async with order_of(time_env, world, "kwoking") as handle:
        waiting = await labelled(handle, 1)
        assert waiting.status is OrderStatus.FULFILLING and waiting.shipped_at is None
        assert waiting.pickup_at == pickup_at(kwoking, waiting.fulfilment_started_at).at
        assert waiting.pickup_at > paid + after  # the premise: Monday's pickup
        await time_env.sleep(after)
        outcome = await handle.execute_update(
            UPDATE_CANCEL, CancelRequest(), result_type=CancelOutcome
        )
        result = await handle.result()
    assert outcome.status is OrderStatus.CANCELLED and str(outcome.refund) == "39.80 EUR"
    assert band in outcome.clauses and "KWO-CAN-4" in outcome.clauses
    assert result.status is OrderStatus.CANCELLED and result.shipped_at is None
    assert money_calls(world) == [
        f"refund:{result.order_id}:refund:cancellation:39.80 EUR",
        "void_label:lbl_1",
    ]
    assert world.emails[-1] == "order_cancelled"


async def test_kwoking_cancel_after_pickup_is_refused(time_env: WorkflowEnvironment) -> None:
    """KWO-CAN-3: once the carrier collected the parcel, the order is shipped: 409."""
    await clock_at(time_env, preset("kwoking"), 1, time(10, 0))
    world = FakeWorld()
    async with order_of(time_env, world, "kwoking") as handle:
        shipped = await picked_up(time_env, handle)
        assert shipped.shipped_at == shipped.pickup_at
        clauses = await refused(
            handle.execute_update(UPDATE_CANCEL, CancelRequest()), "CancelRefused"
        )
        assert clauses == ["KWO-CAN-3"]
        await handle.terminate("test over")
    assert money_calls(world) == []


# -- imalent: the order leaves at the cut-off, editable until then ---------------------------


async def test_imalent_edit_before_the_cutoff_is_accepted_and_after_pickup_refused(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-SHP-2, IMA-EDT-1, IMA-CUS-1: paid Monday 10:00, the order goes to the warehouse and the
    carrier at 16:00; the address may change until then, and the order shows that moment as
    the end of its edit window (not 23 hours after payment). After pickup: refused."""
    imalent = preset("imalent")
    paid = await clock_at(time_env, imalent, 0, time(10, 0))
    cutoff = paid.replace(hour=16, minute=0)
    world = FakeWorld()
    async with order_of(time_env, world, "imalent") as handle:

        async def paid_order() -> OrderSnapshot | None:
            now = await snapshot(handle)
            return now if now.status is OrderStatus.PAID else None

        before = await wait_for(paid_order, within=30)
        assert before.dispatch_at == cutoff and before.edit_window_closes_at == cutoff
        await time_env.sleep(cutoff - paid - timedelta(minutes=1))
        changed = await handle.execute_update(
            UPDATE_CHANGE_SHIPPING_ADDRESS, AddressChange(change_id=1), result_type=AddressChanged
        )
        assert changed.clauses == ("IMA-EDT-1",) and changed.edit_window_closes_at == cutoff
        await time_env.sleep(timedelta(minutes=1))  # the cut-off: to the warehouse
        shipped = await picked_up(time_env, handle)
        assert shipped.shipped_at == cutoff
        assert world.calls.index("address:1") < world.calls.index(
            f"label:{shipped.order_id}:label:1"
        )
        edit = await refused(
            handle.execute_update(UPDATE_CHANGE_SHIPPING_ADDRESS, AddressChange(change_id=2)),
            "EditRefused",
        )
        assert edit == ["IMA-EDT-1"] and "address:2" not in world.calls
        # IMA-CUS-1: from China to Latvia, the tracking e-mail says who pays duties and taxes
        notice = (await emailed(world, "shipment_tracking"))["customs_notice"]
        assert notice == "international delivery: duties and taxes are paid by the customer"
        cancel = await refused(
            handle.execute_update(UPDATE_CANCEL, CancelRequest()), "CancelRefused"
        )
        assert cancel == ["IMA-EDT-1"]
        await record_history(handle, "fulfilment_at_the_cutoff")
        await handle.terminate("test over")


# -- cardnet: a card not the buyer's own, until the parcel leaves ----------------------------


async def test_cardnet_card_ownership_cancellation_before_pickup_and_not_after(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-DIG-2: a paid cardnet order waiting for the carrier may be cancelled because the
    card is not the buyer's: refunded less the gateway's commission, label voided. Once the
    carrier has a parcel, the same act is refused."""
    await clock_at(time_env, preset("cardnet"), 0, time(18, 0))
    world = FakeWorld()
    async with order_of(time_env, world, "cardnet") as handle:
        await labelled(handle, 1)
        outcome = await handle.execute_update(
            UPDATE_REJECT_CARD,
            OwnershipRejection(ownership_proven=False, operator="ops-1"),
            result_type=CancelOutcome,
        )
        result = await handle.result()
    assert outcome.clauses == ("CRD-DIG-2",) and str(outcome.refund) == "38.80 SAR"
    assert result.status is OrderStatus.CANCELLED
    assert money_calls(world) == [
        f"refund:{result.order_id}:refund:cancellation:38.80 SAR",
        "void_label:lbl_1",
    ]

    world = FakeWorld()
    async with order_of(time_env, world, "cardnet") as handle:
        await picked_up(time_env, handle)
        clauses = await refused(
            handle.execute_update(
                UPDATE_REJECT_CARD, OwnershipRejection(ownership_proven=False, operator="ops-1")
            ),
            "ReviewRefused",
        )
        assert clauses == ["CRD-DIG-2"]
        await handle.terminate("test over")
    assert money_calls(world) == []


# -- paralight: shipped at pickup, never at the label ----------------------------------------


async def test_paralight_order_counts_as_shipped_only_when_the_carrier_collects_it(
    time_env: WorkflowEnvironment,
) -> None:
    """PAR-RET-1: receipt (and so paralight's return window) comes after a real shipment;
    a label alone leaves the order fulfilling, and paralight publishes no cancellation."""
    paid = await clock_at(time_env, preset("paralight"), 2, time(9, 0))
    world = FakeWorld()
    async with order_of(time_env, world, "paralight") as handle:
        waiting = await labelled(handle, 1)
        assert waiting.status is OrderStatus.FULFILLING and waiting.shipped_at is None
        assert waiting.pickup_at == paid.replace(hour=17)
        reason = await refused(
            handle.execute_update(UPDATE_CANCEL, CancelRequest()), "CancelRefused"
        )
        assert reason == []  # no clause of paralight's allows it
        shipped = await picked_up(time_env, handle)
        assert shipped.status is OrderStatus.SHIPPED and shipped.shipped_at == paid.replace(hour=17)
        await emailed(world, "shipment_tracking")
        assert world.emails == ["order_confirmation", "shipment_tracking"]
        await handle.terminate("test over")


# -- a cancellation from the Temporal Web UI -------------------------------------------------


async def test_web_ui_cancellation_before_pickup_refunds_once_and_ends_cancelled(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-CAN-1: "Request Cancellation" is decided like a customer's: refunded under the
    policy, label voided, e-mailed, status cancelled, and the workflow ends Canceled."""
    await clock_at(time_env, preset("kwoking"), 4, time(18, 0))
    world = FakeWorld()
    async with order_of(time_env, world, "kwoking") as handle:
        await labelled(handle, 1)
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as ended:
            await handle.result()
        assert isinstance(ended.value.cause, CancelledError)
        final = await snapshot(handle)
        await record_history(handle, "web_ui_cancellation")
    assert final.status is OrderStatus.CANCELLED and str(final.refunded) == "39.80 EUR"
    assert money_calls(world) == [
        f"refund:{final.order_id}:refund:cancellation:39.80 EUR",
        "void_label:lbl_1",
    ]
    cancelled = next(e for e in world.events if e.kind == "cancelled")
    assert cancelled.details["origin"] == "operator" and "KWO-CAN-1" in cancelled.clauses
    assert world.emails[-1] == "order_cancelled"


async def test_web_ui_cancellation_after_pickup_is_refused_and_left_to_an_operator(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-CAN-3: after the carrier collected the parcel, the request changes nothing but the
    timeline and the operators' task list; the order goes on to delivery."""
    await clock_at(time_env, preset("kwoking"), 1, time(10, 0))
    world = FakeWorld()
    async with order_of(time_env, world, "kwoking") as handle:
        await picked_up(time_env, handle)
        await handle.cancel()

        async def refusal_recorded() -> bool:
            return any(e.kind == "cancellation_refused" for e in world.events)

        await wait_for(refusal_recorded, within=30)
        await opened_task(world, "cancellation_refused")
        assert (await snapshot(handle)).status is OrderStatus.SHIPPED
        await handle.terminate("test over")
    refusal = next(e for e in world.events if e.kind == "cancellation_refused")
    assert refusal.clauses == ("KWO-CAN-3",)
    assert world.tasks["cancellation_refused"].clauses == ("KWO-CAN-3",)
    assert money_calls(world) == []


async def test_web_ui_cancellation_of_an_order_held_for_review_voids_the_authorisation(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-FRD-1, IMA-EDT-1: an order held for fraud review and cancelled from the Web UI
    releases its card authorisation, closes the review task and ends cancelled."""
    world = FakeWorld(recent_orders=5)
    async with order_of(time_env, world, "imalent") as handle:

        async def held() -> bool:
            return (await snapshot(handle)).status is OrderStatus.FRAUD_REVIEW

        await wait_for(held, within=30)
        assert not world.tasks["fraud_review"].closed
        await handle.cancel()
        with pytest.raises(WorkflowFailureError):
            await handle.result()
        final = await snapshot(handle)
    assert final.status is OrderStatus.CANCELLED
    assert money_calls(world) == [f"void:{final.order_id}:void:1"]
    assert world.tasks["fraud_review"].closed
    assert world.emails[-1] == "order_cancelled"


# -- a cancellation while the capture is still being retried ---------------------------------


async def test_a_cancellation_during_capture_retries_refunds_what_was_captured(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-CAN-1: asked while the provider still fails the capture (nothing paid yet), the
    cancellation is carried out once the capture lands, and refunds what was captured."""
    world = FakeWorld(capture_failures=4)
    async with order_of(time_env, world, "kwoking") as handle:

        async def retrying() -> bool:
            return world.calls.count(f"capture:{handle.id[6:]}:capture:1") >= 2

        await wait_for(retrying, within=30)
        assert (await snapshot(handle)).paid_at is None
        outcome = await handle.execute_update(
            UPDATE_CANCEL, CancelRequest(), result_type=CancelOutcome
        )
        result = await handle.result()
        await record_history(handle, "cancel_during_capture")
    assert outcome.status is OrderStatus.CANCELLED and str(outcome.refund) == "39.80 EUR"
    assert "KWO-CAN-1" in outcome.clauses
    assert result.captured and str(result.refunded) == "39.80 EUR"
    assert money_calls(world) == [f"refund:{result.order_id}:refund:cancellation:39.80 EUR"]
    assert not any(c.startswith("label") for c in world.calls)
    assert result.shipments == [] and result.shipped_at is None  # nothing left the warehouse
