"""A parcel the carrier declares lost is reshipped if in stock, otherwise refunded (KWO-DEF-1)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.orders import OrderSnapshot, TrackingEvent
from domain.status import OrderStatus, TrackingStatus
from tests.domain.helpers import preset
from tests.integration.harness import wait_for
from tests.workflows.fakes import FakeWorld, order_input, picked_up, running_order
from workflows.names import QUERY_ORDER, SIGNAL_CARRIER_EVENT


def scan(tracking_number: str, status: TrackingStatus, minute: int) -> TrackingEvent:
    return TrackingEvent(
        event_id=f"{tracking_number}-{status.value}",
        tracking_number=tracking_number,
        status=status,
        occurred_at=datetime(2026, 3, 3, 8, minute, tzinfo=UTC),
    )


async def shipped_parcels(env: WorkflowEnvironment, handle: WorkflowHandle, count: int) -> None:
    """The carrier collected every labelled parcel: the order has shipped."""
    await picked_up(env, handle, count)


async def test_kwoking_lost_parcel_in_stock_is_reshipped_and_then_delivered(
    time_env: WorkflowEnvironment,
) -> None:
    world = FakeWorld(in_stock=True)
    order_id = f"wf-{uuid.uuid4().hex[:8]}"
    async with running_order(time_env, world, order_input(order_id, preset("kwoking"))) as handle:
        await shipped_parcels(time_env, handle, 1)
        await handle.signal(SIGNAL_CARRIER_EVENT, scan("TRK1", TrackingStatus.LOST, 1))
        await shipped_parcels(time_env, handle, 2)
        await handle.signal(SIGNAL_CARRIER_EVENT, scan("TRK1", TrackingStatus.DELIVERED, 2))
        await handle.signal(SIGNAL_CARRIER_EVENT, scan("TRK2", TrackingStatus.DELIVERED, 3))
        result = await handle.result()
    assert result.status is OrderStatus.COMPLETED
    assert [s.tracking_number for s in result.shipments] == ["TRK1", "TRK2"]
    assert result.shipments[0].replaced and result.shipments[1].status is TrackingStatus.DELIVERED
    assert f"reserve:{order_id}:replacement:1" in world.calls
    assert [c for c in world.calls if c.startswith("label")] == [
        f"label:{order_id}:label:1",
        f"label:{order_id}:label:2",
    ]
    reshipped = next(e for e in world.events if e.kind == "lost_parcel_reshipped")
    assert reshipped.clauses == ("KWO-DEF-1",)
    assert not any(c.startswith("refund") for c in world.calls)


async def test_kwoking_lost_parcel_out_of_stock_is_refunded(time_env: WorkflowEnvironment) -> None:
    world = FakeWorld(in_stock=False)
    order_id = f"wf-{uuid.uuid4().hex[:8]}"
    async with running_order(time_env, world, order_input(order_id, preset("kwoking"))) as handle:
        await shipped_parcels(time_env, handle, 1)
        await handle.signal(SIGNAL_CARRIER_EVENT, scan("TRK1", TrackingStatus.LOST, 1))
        result = await handle.result()
    assert result.status is OrderStatus.LOST and str(result.refunded) == "39.80 EUR"
    assert f"refund:{order_id}:refund:lost:1:39.80 EUR" in world.calls
    refunded = next(e for e in world.events if e.kind == "lost_parcel_refunded")
    assert refunded.clauses == ("KWO-DEF-1",) and world.emails[-1] == "parcel_lost"


async def test_a_split_order_is_delivered_when_its_remaining_parcel_arrives_after_a_refund(
    time_env: WorkflowEnvironment,
) -> None:
    """Two parcels; the second is lost with nothing in stock, so its items are refunded; the
    order is delivered when the first arrives (KWO-DEF-1, split shipment)."""
    from decimal import Decimal

    from domain.orders import OrderLine

    world = FakeWorld(in_stock=False)
    order_id = f"wf-{uuid.uuid4().hex[:8]}"
    order = order_input(order_id, preset("kwoking")).model_copy(
        update={
            "lines": [
                OrderLine(
                    sku="DRONE", name="Drone", quantity=1, unit_price=Decimal("30.00"), parcel=1
                ),
                OrderLine(
                    sku="CASE", name="Case", quantity=1, unit_price=Decimal("9.80"), parcel=2
                ),
            ]
        }
    )
    async with running_order(time_env, world, order) as handle:
        await shipped_parcels(time_env, handle, 2)
        await handle.signal(SIGNAL_CARRIER_EVENT, scan("TRK2", TrackingStatus.LOST, 1))

        async def refunded() -> bool:
            snapshot = await handle.query(QUERY_ORDER, result_type=OrderSnapshot)
            return snapshot.refunded is not None and snapshot.status is OrderStatus.SHIPPED

        await wait_for(refunded, within=30)
        await handle.signal(SIGNAL_CARRIER_EVENT, scan("TRK1", TrackingStatus.DELIVERED, 2))
        result = await handle.result()
    assert result.status is OrderStatus.COMPLETED and str(result.refunded) == "9.80 EUR"
    assert [(s.tracking_number, s.parcel) for s in result.shipments] == [("TRK1", 1), ("TRK2", 2)]
    assert f"reserve:{order_id}:replacement:1" in world.calls
    assert world.emails.count("shipment_tracking") == 2
