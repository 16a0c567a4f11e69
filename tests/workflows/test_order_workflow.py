"""OrderWorkflow on the time-skipping test server, with its activities stood in by name."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.orders import OrderSnapshot, TrackingEvent
from domain.status import OrderStatus, TrackingStatus
from tests.workflows.fakes import (
    FakeWorld,
    order_input,
    policy_with_return_window,
    record_history,
    running_order,
)
from workflows.names import ORDER_STATUS, SIGNAL_CARRIER_EVENT
from workflows.order.workflow import OrderWorkflow

SIXTY_DAYS = timedelta(days=60)


def scan(event_id: str, status: TrackingStatus, minute: int) -> TrackingEvent:
    return TrackingEvent(
        event_id=event_id,
        tracking_number="TRK1",
        status=status,
        occurred_at=datetime(2026, 3, 3, 8, minute, tzinfo=UTC),
    )


async def run_order(
    env: WorkflowEnvironment, world: FakeWorld, scans: list[TrackingEvent]
) -> tuple[str, WorkflowHandle[OrderWorkflow, OrderSnapshot], OrderSnapshot]:
    """Run one order to its end: the carrier's scans are signalled as the relay would."""
    order_id = f"wf-{uuid.uuid4().hex[:8]}"
    order = order_input(order_id, policy_with_return_window(SIXTY_DAYS))
    async with running_order(env, world, order) as handle:
        for event in scans:
            await handle.signal(SIGNAL_CARRIER_EVENT, event)
        result = await handle.result()
    return order_id, handle, result


async def test_kwoking_return_window_of_60_days_closes_the_order(
    time_env: WorkflowEnvironment,
) -> None:
    """LIF-1: one workflow from payment to delivery; a return window of 60 days, set on the
    demo shop, closes the order after delivery (time skipped). kwoking's own window is proven
    on its preset in test_returns_kwoking.py."""
    world = FakeWorld()
    statuses = [TrackingStatus.PICKED_UP, TrackingStatus.IN_TRANSIT, TrackingStatus.DELIVERED]
    order_id, handle, result = await run_order(
        time_env, world, [scan(f"e{i}", s, i) for i, s in enumerate(statuses)]
    )
    assert result.status is OrderStatus.COMPLETED
    assert result.return_window_closes_at == datetime(2026, 3, 3, 8, 2, tzinfo=UTC) + SIXTY_DAYS
    assert world.statuses() == [
        "paid",
        "fulfilling",
        "shipped",
        "in_transit",
        "delivered",
        "completed",
    ]
    assert world.emails == ["order_confirmation", "shipment_tracking"]
    assert world.calls == [
        f"authorize:{order_id}:authorization:1",
        f"capture:{order_id}:capture:1",
        f"label:{order_id}:label:1",
    ]
    shipped = next(e for e in world.events if e.status is OrderStatus.SHIPPED)
    assert shipped.at >= next(e.at for e in world.events if e.kind == "fulfilment_started")
    window_event = next(e for e in world.events if e.kind == "return_window_opened")
    assert window_event.clauses == ("KWO-RET-1", "KWO-RET-2")
    assert all(e.clauses for e in world.events), "every timeline entry names its clauses"
    await record_history(handle, "happy_path")
    # The same run as workers have written it since payloads are encrypted (development key).
    await record_history(handle, "happy_path_encrypted")


async def test_duplicate_and_out_of_order_tracking_events_move_status_forward_only(
    time_env: WorkflowEnvironment,
) -> None:
    """Webhooks may repeat and arrive out of order: each counts once, and status never goes back."""
    world = FakeWorld()
    _, _, result = await run_order(
        time_env,
        world,
        [
            scan("late", TrackingStatus.IN_TRANSIT, 1),
            scan("late", TrackingStatus.IN_TRANSIT, 1),
            scan("early", TrackingStatus.PRE_TRANSIT, 0),
            scan("done", TrackingStatus.DELIVERED, 3),
            scan("done", TrackingStatus.DELIVERED, 3),
            scan("stale", TrackingStatus.OUT_FOR_DELIVERY, 2),
        ],
    )
    assert result.status is OrderStatus.COMPLETED
    assert world.statuses().count("in_transit") <= 1
    assert world.statuses().count("delivered") == 1
    assert result.shipments[0].status is TrackingStatus.DELIVERED


async def test_a_declined_card_ends_in_payment_failed_without_capture(
    time_env: WorkflowEnvironment,
) -> None:
    world = FakeWorld(decline="insufficient_funds")
    _, _, result = await run_order(time_env, world, [])
    assert result.status is OrderStatus.PAYMENT_FAILED
    assert not any(c.startswith("capture") for c in world.calls)
    assert world.emails == ["payment_failed"]
    failed = next(e for e in world.events if e.status is OrderStatus.PAYMENT_FAILED)
    assert "insufficient_funds" in failed.summary and failed.clauses == ("IMA-PAY-1", "IMA-PAY-2")


async def test_order_status_search_attribute_follows_the_order(
    time_env: WorkflowEnvironment,
) -> None:
    _, handle, _ = await run_order(time_env, FakeWorld(), [scan("d", TrackingStatus.DELIVERED, 0)])
    description = await handle.describe()
    assert description.typed_search_attributes.get(ORDER_STATUS) == "completed"
