"""The customer's changes as workflow updates, on the time-skipping server: the edit window
(IMA-EDT-1) and cancellation (KWO-CAN-1..3), each answered at once by its validator."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.orders import AddressChange, AddressChanged, CancelOutcome, CancelRequest, OrderSnapshot
from domain.policy import Policy
from domain.policy.changes import EditRule
from domain.status import OrderStatus
from tests.domain.helpers import preset
from tests.integration.harness import wait_for
from tests.workflows.fakes import (
    FakeWorld,
    held_at_dispatch,
    order_input,
    picked_up,
    refused,
    running_order,
)
from workflows.names import (
    QUERY_ORDER,
    UPDATE_CANCEL,
    UPDATE_CHANGE_SHIPPING_ADDRESS,
)


def slow_dispatch_policy() -> Policy:
    """kwoking's cancellation rules, imalent's 23-hour edit window, and a dispatch slot that
    always lies more than a day ahead, so the windows can be tested on their own."""
    kwoking = held_at_dispatch(preset("kwoking"))
    return kwoking.model_copy(
        update={"edit": EditRule(window_after_payment=timedelta(hours=23), clauses=("IMA-EDT-1",))}
    )


@asynccontextmanager
async def paid_order(env: WorkflowEnvironment, world: FakeWorld) -> AsyncIterator[WorkflowHandle]:
    order_id = f"wf-{uuid.uuid4().hex[:8]}"
    async with running_order(env, world, order_input(order_id, slow_dispatch_policy())) as handle:

        async def paid() -> bool:
            snapshot = await handle.query(QUERY_ORDER, result_type=OrderSnapshot)
            return snapshot is not None and snapshot.paid_at is not None and len(world.emails) > 0

        await wait_for(paid, within=30)
        yield handle


async def test_imalent_address_change_at_22h59_is_accepted_and_at_23h01_refused(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-EDT-1"""
    world = FakeWorld()
    async with paid_order(time_env, world) as handle:
        await time_env.sleep(timedelta(hours=22, minutes=59))
        changed = await handle.execute_update(
            UPDATE_CHANGE_SHIPPING_ADDRESS, AddressChange(change_id=1), result_type=AddressChanged
        )
        assert changed.clauses == ("IMA-EDT-1",) and "address:1" in world.calls
        await time_env.sleep(timedelta(minutes=2))
        clauses = await refused(
            handle.execute_update(UPDATE_CHANGE_SHIPPING_ADDRESS, AddressChange(change_id=2)),
            "EditRefused",
        )
        assert clauses == ["IMA-EDT-1"] and "address:2" not in world.calls
        await handle.terminate("test over")


async def test_kwoking_cancel_at_23h59_refunds_in_full_and_nothing_ships(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-CAN-1: the cancellation wins over the dispatch still waiting."""
    world = FakeWorld()
    async with paid_order(time_env, world) as handle:
        await time_env.sleep(timedelta(hours=23, minutes=59))
        outcome = await handle.execute_update(
            UPDATE_CANCEL, CancelRequest(), result_type=CancelOutcome
        )
        result = await handle.result()
    assert outcome.status is OrderStatus.CANCELLED and str(outcome.refund) == "39.80 EUR"
    assert "KWO-CAN-1" in outcome.clauses
    assert result.status is OrderStatus.CANCELLED
    assert [c for c in world.calls if c.startswith(("refund", "label"))] == [
        f"refund:{result.order_id}:refund:cancellation:39.80 EUR"
    ]
    assert world.emails[-1] == "order_cancelled"


async def test_kwoking_cancel_at_24h01_through_the_workflow_uses_the_second_rule(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-CAN-2"""
    world = FakeWorld()
    async with paid_order(time_env, world) as handle:
        await time_env.sleep(timedelta(hours=24, minutes=1))
        outcome = await handle.execute_update(
            UPDATE_CANCEL, CancelRequest(), result_type=CancelOutcome
        )
        await handle.result()
    assert "KWO-CAN-2" in outcome.clauses and "KWO-CAN-1" not in outcome.clauses
    assert sum(c.startswith("refund") for c in world.calls) == 1


async def test_kwoking_cancel_after_shipping_is_refused_and_edits_too(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-CAN-3, IMA-EDT-1: once the parcel left, neither cancel nor edit is possible."""
    world = FakeWorld()
    async with paid_order(time_env, world) as handle:
        snapshot = await handle.query(QUERY_ORDER, result_type=OrderSnapshot)
        assert snapshot.dispatch_at is not None
        await time_env.sleep(snapshot.dispatch_at - await time_env.get_current_time())
        await picked_up(time_env, handle)
        clauses = await refused(
            handle.execute_update(UPDATE_CANCEL, CancelRequest()), "CancelRefused"
        )
        assert clauses == ["KWO-CAN-3"]
        edit = await refused(
            handle.execute_update(UPDATE_CHANGE_SHIPPING_ADDRESS, AddressChange(change_id=3)),
            "EditRefused",
        )
        assert edit == ["IMA-EDT-1"]
        await handle.terminate("test over")
    assert not any(c.startswith("refund") for c in world.calls)
