"""Faults that end well: a payment the provider will not capture, whether it refuses or the
money window runs out, ends the order unpaid with its authorisation released and an
operator told, never a failed workflow holding the customer's money."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.calendar import pin_calendar
from domain.orders import CancelOutcome, CancelRequest
from domain.status import OrderStatus, ReturnStatus
from tests.domain.helpers import preset
from tests.integration.harness import wait_for
from tests.workflows.fakes import (
    FakeWorld,
    emailed,
    labelled,
    opened_task,
    order_input,
    picked_up,
    record_history,
    running_order,
)
from tests.workflows.returns_kit import delivered, good
from workflows import names

DRONE = [("DRONE-X", "300.00", 1, "general"), ("CASE", "20.00", 1, "general")]


@pytest.mark.parametrize("fault", ["refused", "past_its_window"])
async def test_a_capture_that_fails_for_good_releases_the_authorisation_and_ends_unpaid(
    time_env: WorkflowEnvironment, fault: str
) -> None:
    """The card was authorised, but the provider refuses the capture, or answers
    500 until the capture's one-hour money window has passed. The authorisation is voided,
    the capture's ledger row settled with the provider, the customer told and an operator
    given a task; the order ends `payment_failed`, nothing taken, instead of failing."""
    if fault == "refused":
        world = FakeWorld(capture_refused=True)
    else:
        world = FakeWorld(capture_failures=10**6)
    order = order_input(f"wf-{uuid.uuid4().hex[:8]}", preset("kwoking"))
    async with running_order(time_env, world, order) as handle:
        result = await handle.result()
        if fault == "refused":
            await record_history(handle, "capture_refused")
    payment = result.payment_id
    assert result.status is OrderStatus.PAYMENT_FAILED and not result.captured
    assert f"void:{order.order_id}:void:capture:1" in world.calls
    assert f"confirm:{payment}" in world.calls and world.provider[payment] == "voided"
    failed = next(e for e in world.events if e.kind == "capture_failed")
    assert "authorisation was released" in failed.summary
    assert "capture_failed" in world.tasks and world.emails[-1] == "payment_failed"
    assert not [c for c in world.calls if c.startswith("refund:")]


async def test_a_cancellation_whose_refund_the_provider_refuses_still_ends_cancelled(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-CAN-1, KWO-REF-1: a cancellation in time grants the 39.80 EUR back, but the
    provider refuses the refund. The order still ends cancelled, its label voided; the
    timeline names what is still owed and an operator gets the task of refunding it by hand,
    instead of the order's workflow failing."""
    world = FakeWorld(refunds_up_to=Decimal("10.00"))
    now = await time_env.get_current_time()
    kwoking = preset("kwoking")
    order = order_input(f"wf-{uuid.uuid4().hex[:8]}", kwoking).model_copy(
        update={"policy": pin_calendar(kwoking, now), "placed_at": now}
    )
    async with running_order(time_env, world, order) as handle:
        await labelled(handle, 1)
        outcome = await handle.execute_update(
            names.UPDATE_CANCEL, CancelRequest(), result_type=CancelOutcome
        )
        result = await handle.result()
        await record_history(handle, "cancellation_refund_refused")
    assert outcome.status is OrderStatus.CANCELLED and str(outcome.refund) == "0.00 EUR"
    assert result.status is OrderStatus.CANCELLED and "void_label:lbl_1" in world.calls
    assert world.refused_refunds == [f"{order.order_id}:refund:cancellation"]
    failed = next(e for e in world.events if e.kind == "cancellation_refund_failed")
    assert failed.details == {"owed": "39.80 EUR"}
    assert world.tasks["refund_owed"].summary == "refund 39.80 EUR by hand: the provider refused it"


async def test_a_return_outlives_its_terminated_order_and_leaves_its_refund_to_an_operator(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-RET-1, KWO-RMA-7: a return is on its way back when an operator terminates its
    order in the Web UI. The return is not taken down with it (its parent close policy): it
    is received and inspected, and since no order is left to pay it, it closes with a
    `return_refund_owed` task for an operator to pay the refund by hand."""
    world = FakeWorld()
    async with delivered(time_env, "kwoking", DRONE, shipping="15", world=world) as o:
        opened = await o.ask("change_of_mind", ("DRONE-X", 1), described=True)
        await o.approve(opened.rma_id)
        await o.send_back(opened.rma_id, "RET-ORPHAN-1")
        await o.order.terminate("ended by an operator")
        await o.arrives(opened.rma_id)
        await o.inspect(opened.rma_id, good("DRONE-X"))
        closed = await o.reaches(opened.rma_id, ReturnStatus.CLOSED)
        await record_history(o.ret(opened.rma_id), "refund_owed_without_an_order", "return")
    assert closed.refunded is None
    assert "no longer running" in world.tasks["return_refund_owed"].summary
    assert not [c for c in world.calls if c.startswith("refund:")]


async def test_a_label_the_carrier_refuses_for_good_waits_for_a_cancellation_not_a_failure(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-CAN-1: at the dispatch slot the carrier refuses the parcel's label for good. The
    order does not fail holding the money: it records the refusal, asks an operator to cancel
    it, and waits; the cancellation then refunds what the policy grants."""
    world = FakeWorld(labels_refused=True)
    now = await time_env.get_current_time()
    kwoking = preset("kwoking")
    order = order_input(f"wf-{uuid.uuid4().hex[:8]}", kwoking).model_copy(
        update={"policy": pin_calendar(kwoking, now), "placed_at": now}
    )
    async with running_order(time_env, world, order) as handle:
        await opened_task(world, "label_refused")
        assert "cancel the order" in world.tasks["label_refused"].summary
        outcome = await handle.execute_update(
            names.UPDATE_CANCEL, CancelRequest(), result_type=CancelOutcome
        )
        result = await handle.result()
        await record_history(handle, "label_refused_then_cancelled")
    assert outcome.status is OrderStatus.CANCELLED and str(outcome.refund) == "39.80 EUR"
    assert result.status is OrderStatus.CANCELLED and result.shipments == []
    assert world.tasks["label_refused"].closed
    refused = next(e for e in world.events if e.kind == "label_refused")
    assert "outside the carrier's network" in refused.summary


async def test_an_smtp_outage_holds_no_order_and_its_e_mails_go_out_after(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-CAN-1 (the order's own path): while the mail server is down, a paid order is still
    handed to the warehouse, labelled and collected by the carrier; its confirmation and
    tracking e-mails wait behind it and go out, in order, once the server is back."""
    world = FakeWorld(smtp_down=True)
    now = await time_env.get_current_time()
    kwoking = preset("kwoking")
    order = order_input(f"wf-{uuid.uuid4().hex[:8]}", kwoking).model_copy(
        update={"policy": pin_calendar(kwoking, now), "placed_at": now}
    )
    async with running_order(time_env, world, order) as handle:
        shipped = await picked_up(time_env, handle)
        assert shipped.status is OrderStatus.SHIPPED and world.emails == []
        world.smtp_down = False
        await time_env.sleep(timedelta(minutes=5))  # the e-mails' next try, on their schedule
        await emailed(world, "shipment_tracking")
        await record_history(handle, "shipped_through_an_smtp_outage")
        await handle.terminate("test over")
    assert world.emails == ["order_confirmation", "shipment_tracking"]


async def test_a_database_outage_holds_no_order_and_its_timeline_follows_in_order(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-CAN-1 (the order's own path): PostgreSQL is away while an order is paid. Its first
    timeline entry is tried for a bounded while in the workflow task, then the order goes on:
    it is paid, handed to the warehouse, labelled and collected while the database takes
    nothing, and its timeline arrives behind it once the database is back, every entry once
    and in the order the order lived it."""
    world = FakeWorld(store_down=True)
    now = await time_env.get_current_time()
    kwoking = preset("kwoking")
    order = order_input(f"wf-{uuid.uuid4().hex[:8]}", kwoking).model_copy(
        update={"policy": pin_calendar(kwoking, now), "placed_at": now}
    )
    async with running_order(time_env, world, order) as handle:
        shipped = await picked_up(time_env, handle)
        assert shipped.status is OrderStatus.SHIPPED and world.events == []
        world.store_down = False
        await time_env.sleep(timedelta(minutes=2))  # the rows' next try, on their schedule

        async def caught_up() -> bool:
            return any(e.status is OrderStatus.SHIPPED for e in world.events)

        await wait_for(caught_up)
        await record_history(handle, "shipped_through_a_database_outage")
        await handle.terminate("test over")
    seqs = [e.seq for e in world.events]
    assert seqs == list(range(1, len(seqs) + 1))
    statuses = [e.status for e in world.events if e.status is not None]
    assert statuses.index(OrderStatus.PAID) < statuses.index(OrderStatus.SHIPPED)
    assert statuses[-1] is OrderStatus.SHIPPED
