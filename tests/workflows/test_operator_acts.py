"""What operators do on an order: refund up to what was captured, settle a parcel that came
back to a merchant without a published rule; and the holiday calendar an order was placed
with, which no later change of the holiday tables moves. Time-skipping server."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import holidays
import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain import calendar as calendar_module
from domain.calendar import is_pinned, pin_calendar
from domain.decisions.fulfilment import dispatch_slot
from domain.money import Money
from domain.orders import OperatorRefund, OperatorRefunded, OrderSnapshot
from domain.status import OrderStatus, TrackingStatus
from tests.domain.helpers import preset
from tests.integration.harness import wait_for
from tests.workflows.fakes import (
    FakeWorld,
    clock_at,
    opened_task,
    order_input,
    picked_up,
    record_history,
    running_order,
    scan_of,
)
from workflows.names import QUERY_ORDER, SIGNAL_CARRIER_EVENT, UPDATE_REFUND


def refund(amount: str, refund_id: str) -> OperatorRefund:
    return OperatorRefund(
        refund_id=refund_id,
        amount=Money(amount=Decimal(amount), currency="EUR"),
        reason="goodwill after a late delivery",
        operator="ops-1",
    )


async def test_an_operator_refund_cannot_exceed_what_was_captured(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-REF-1: refunds go back to the original payment, each under its own ledger key, and
    together never more than the 39.80 EUR captured."""
    world = FakeWorld()
    order = order_input(f"wf-{uuid.uuid4().hex[:8]}", preset("kwoking"))
    async with running_order(time_env, world, order) as handle:
        await picked_up(time_env, handle)
        first = await handle.execute_update(
            UPDATE_REFUND, refund("30.00", "r1"), result_type=OperatorRefunded
        )
        assert str(first.refunded_total) == "30.00 EUR" and first.clauses == ("KWO-REF-1",)
        with pytest.raises(WorkflowUpdateFailedError) as failure:
            await handle.execute_update(UPDATE_REFUND, refund("10.00", "r2"))
        cause = failure.value.cause
        assert isinstance(cause, ApplicationError) and cause.type == "RefundRefused"
        assert "only 9.80 EUR" in cause.message and list(cause.details) == ["KWO-REF-1"]
        rest = await handle.execute_update(
            UPDATE_REFUND, refund("9.80", "r3"), result_type=OperatorRefunded
        )
        assert str(rest.refunded_total) == "39.80 EUR"
        await handle.terminate("test over")
    assert [c for c in world.calls if c.startswith("refund")] == [
        f"refund:{order.order_id}:refund:operator:r1:30.00 EUR",
        f"refund:{order.order_id}:refund:operator:r3:9.80 EUR",
    ]
    assert world.emails.count("operator_refund") == 2


async def test_a_parcel_back_without_a_rule_waits_for_an_operators_refund(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-DEF-1: kwoking publishes no rule for a parcel sent back; instead of ending with the
    money kept, the order opens a task and waits until an operator refunds what is due."""
    world = FakeWorld()
    order = order_input(f"wf-{uuid.uuid4().hex[:8]}", preset("kwoking"))
    async with running_order(time_env, world, order) as handle:
        shipped = await picked_up(time_env, handle)
        back = scan_of("TRK1", TrackingStatus.RETURN_TO_SENDER, shipped.shipped_at)
        await handle.signal(SIGNAL_CARRIER_EVENT, back)

        await opened_task(world, "returned_parcel")
        status = (await handle.query(QUERY_ORDER, result_type=OrderSnapshot)).status
        assert status is OrderStatus.RETURNED_TO_SENDER
        await handle.execute_update(UPDATE_REFUND, refund("39.80", "back"))
        result = await handle.result()
        await record_history(handle, "returned_without_rule")
    assert result.status is OrderStatus.RETURNED_TO_SENDER and str(result.refunded) == "39.80 EUR"
    assert world.tasks["returned_parcel"].closed
    needs = next(e for e in world.events if e.kind == "returned_parcel_needs_operator")
    assert needs.status is OrderStatus.RETURNED_TO_SENDER


async def test_a_running_orders_dispatch_slot_keeps_the_holidays_it_was_placed_with(
    time_env: WorkflowEnvironment, monkeypatch: Any
) -> None:
    """IMA-SHP-2: the holiday dates are part of the order's pinned policy. After the holiday
    tables change (a new public holiday on the day the order would leave), the order placed
    before still leaves that day, while a decision on the new tables would move it."""
    imalent = preset("imalent")
    paid = await clock_at(time_env, imalent, 0, time(17, 0))  # Monday, after the cut-off
    pinned = pin_calendar(imalent, paid)
    planned = dispatch_slot(pinned, paid).at
    leaves = planned.astimezone(imalent.zone).date()
    assert leaves == paid.date() + timedelta(days=1)

    real = calendar_module._public_holidays

    def with_new_holiday(country: str, subdivision: str | None) -> Any:
        table = holidays.country_holidays(country, subdiv=subdivision)
        table.get(leaves)
        table[leaves] = "a public holiday declared after the order was placed"
        return table

    monkeypatch.setattr(calendar_module, "_public_holidays", with_new_holiday)
    assert dispatch_slot(imalent, paid).at.date() > leaves  # the new tables move the slot

    world = FakeWorld()
    order = order_input(f"wf-{uuid.uuid4().hex[:8]}", imalent).model_copy(
        update={"policy": pinned, "placed_at": paid}
    )
    async with running_order(time_env, world, order) as handle:

        async def scheduled() -> OrderSnapshot | None:
            snapshot = await handle.query(QUERY_ORDER, result_type=OrderSnapshot)
            return snapshot if snapshot.dispatch_at else None

        snapshot = await wait_for(scheduled, within=30)
        await handle.terminate("test over")
    assert snapshot.dispatch_at == planned
    monkeypatch.setattr(calendar_module, "_public_holidays", real)


def test_a_preset_as_loaded_is_not_pinned_and_an_order_carries_its_dates() -> None:
    """IMA-SHP-2: placement writes the holiday dates into the order's policy."""
    imalent = preset("imalent")
    assert not is_pinned(imalent.calendar)
    pinned = pin_calendar(imalent, datetime(2027, 3, 1, tzinfo=UTC))
    assert is_pinned(pinned.calendar) and date(2027, 10, 1) in (pinned.calendar.holidays or ())
    assert pinned.version == imalent.version  # the same preset, with its dates written out
