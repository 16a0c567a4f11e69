"""The relay's deferred start (ARCHITECTURE: an order accepted while Temporal was slow or
unreachable is started later): an order whose placement did start its workflow after all,
and whose workflow has already ended, is marked started, and the orders behind it are not
held up (it used to fail every pass with WorkflowAlreadyStartedError)."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.client import WorkflowExecutionStatus

from starter.relay import relay
from starter.relay.relay import Relay
from store import inbox
from tests.integration.harness import OPERATOR, STOREFRONT, System, order_body, wait_for
from tests.integration.test_returns_http import delivered_order, scan
from workflows.names import order_workflow_id


async def place(system: System) -> str:
    placed = await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body())
    assert placed.status_code == 201, placed.text
    return str(placed.json()["order_id"])


async def payment_event(
    pool: Any, event_id: str, event_type: str, order_id: str, **data: str
) -> None:
    """A sandbox payment webhook for the order, as the intake keeps it."""
    await inbox.insert_webhook(
        pool,
        kind="payments",
        provider="sandbox",
        event_id=event_id,
        event_type=event_type,
        order_id=order_id,
        payload={"type": event_type, "data": {**data, "reference": order_id}},
    )


async def test_an_ended_workflow_is_marked_started_and_the_next_order_still_starts(
    system: System, pool: Any
) -> None:
    ended, running = await place(system), await place(system)
    handle = system.client.get_workflow_handle(order_workflow_id(ended))
    await handle.terminate("the order's workflow ended before the relay looked")

    async def closed() -> bool:
        return (await handle.describe()).status == WorkflowExecutionStatus.TERMINATED

    await wait_for(closed, within=30)
    # As after a placement whose first payment step outlasted its wait: "not started".
    await pool.execute(
        "UPDATE orders SET workflow_started_at = NULL, created_at = created_at - interval '1 hour'"
        " WHERE order_id = ANY($1::text[])",
        [ended, running],
    )
    # The API's own relay looks for them too; whichever pass takes them, both end up started.
    await Relay(pool, system.client, system.settings.temporal_task_queue).start_deferred_orders(
        older_than_seconds=60
    )

    async def both_started() -> bool:
        started = await pool.fetch(
            "SELECT order_id FROM orders WHERE order_id = ANY($1::text[])"
            " AND workflow_started_at IS NOT NULL",
            [ended, running],
        )
        return {r["order_id"] for r in started} == {ended, running}

    await wait_for(both_started, within=30)
    # the terminated order was not started again
    assert (await handle.describe()).status == WorkflowExecutionStatus.TERMINATED


async def test_an_event_the_relay_cannot_handle_never_holds_up_the_ones_behind_it(
    system: System, pool: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id = await place(system)
    poison, behind = f"evt_poison_{order_id}", f"evt_behind_{order_id}"
    real = relay.signal_for

    def failing(row: dict[str, Any]) -> Any:
        if row["event_id"] == poison:
            raise RuntimeError("an event this version cannot turn into a signal")
        return real(row)

    monkeypatch.setattr(relay, "signal_for", failing)
    for event_id, event_type in ((poison, "payment.disputed"), (behind, "refund.succeeded")):
        await payment_event(pool, event_id, event_type, order_id)
    system_relay = Relay(pool, system.client, system.settings.temporal_task_queue)

    async def state(event_id: str) -> Any:
        return await pool.fetchrow(
            "SELECT relay_state, attempts, last_error, next_attempt_at > now() AS later"
            " FROM webhook_inbox WHERE event_id = $1",
            event_id,
        )

    async def behind_handled() -> bool:
        await system_relay.relay_once()
        return (await state(behind))["relay_state"] != "pending"

    await wait_for(behind_handled, within=30)
    failed = await state(poison)
    assert failed["relay_state"] == "pending" and failed["later"]  # tried again after a backoff
    assert failed["attempts"] >= 1 and "RuntimeError" in failed["last_error"]

    ready = (await system.api.get("/readyz", headers=OPERATOR)).json()
    assert ready["webhooks"]["pending"] >= 1 and ready["webhooks"]["oldest_unrelayed_seconds"] >= 0

    # Once it has failed MAX_ATTEMPTS times it is parked for operators, with its reason.
    await pool.execute(
        "UPDATE webhook_inbox SET attempts = $2, next_attempt_at = now() WHERE event_id = $1",
        poison,
        relay.MAX_ATTEMPTS - 1,
    )

    async def parked() -> Any:
        await system_relay.relay_once()
        row = await state(poison)
        return row if row["relay_state"] == "unmatched" else None

    row = await wait_for(parked, within=30)
    assert row["last_error"].startswith(f"parked after {relay.MAX_ATTEMPTS} attempts: RuntimeError")
    listed = await system.api.get("/v1/ops/webhooks/unmatched", headers=OPERATOR)
    assert any(w["event_id"] == poison for w in listed.json()["items"]), listed.text


async def test_a_late_payment_event_for_an_ended_order_is_informational_unless_it_is_news(
    system: System, pool: Any
) -> None:
    """LIF-3: a provider repeating an authorisation after the order's workflow ended is kept
    for the record, not put before operators; a reversal of that payment, or an event for a
    payment the ledger never saw, is."""
    order_id = await place(system)

    async def captured() -> Any:
        return await pool.fetchval(
            "SELECT provider_ref FROM ledger WHERE order_id = $1 AND movement = 'capture'"
            " AND status = 'captured'",
            order_id,
        )

    payment_id = await wait_for(captured, within=30)
    handle = system.client.get_workflow_handle(order_workflow_id(order_id))
    await handle.terminate("the order's workflow ended before its webhooks came")
    late = {
        f"evt_late_{order_id}": ("payment.authorized", payment_id),
        f"evt_reversed_{order_id}": ("payment.reversed", payment_id),
        f"evt_stranger_{order_id}": ("payment.authorized", "pay_never_seen"),
    }
    for event_id, (event_type, paid_by) in late.items():
        await payment_event(pool, event_id, event_type, order_id, id=paid_by)
    system_relay = Relay(pool, system.client, system.settings.temporal_task_queue)

    async def all_handled() -> dict[str, str] | None:
        await system_relay.relay_once()
        rows = await pool.fetch(
            "SELECT event_id, relay_state FROM webhook_inbox WHERE event_id = ANY($1::text[])",
            list(late),
        )
        states = {r["event_id"]: r["relay_state"] for r in rows}
        return None if "pending" in states.values() else states

    states = await wait_for(all_handled, within=30)
    assert states == {
        f"evt_late_{order_id}": "informational",
        f"evt_reversed_{order_id}": "unmatched",
        f"evt_stranger_{order_id}": "unmatched",
    }


async def test_a_late_carrier_scan_for_an_ended_order_is_informational_unless_it_is_news(
    system: System, pool: Any
) -> None:
    """LIF-3: a carrier repeating its "delivered" scan, or an older scan arriving late, after
    the order's workflow ended is kept for the record; the parcel sent back after that is put
    before operators."""
    order_id, _ = await delivered_order(system)
    shipments = await pool.fetchval("SELECT shipments FROM orders WHERE order_id = $1", order_id)
    number = shipments[0]["tracking_number"]
    assert shipments[0]["status"] == "delivered"
    handle = system.client.get_workflow_handle(order_workflow_id(order_id))
    await handle.terminate("the order's workflow ended before its carrier's retries came")
    late = {
        f"evt_repeat_{order_id}": "delivered",
        f"evt_older_{order_id}": "in_transit",
        f"evt_back_{order_id}": "return_to_sender",
    }
    for event_id, status in late.items():
        await scan(system, number, status, event_id=event_id)

    async def all_handled() -> dict[str, str] | None:
        rows = await pool.fetch(
            "SELECT event_id, relay_state FROM webhook_inbox WHERE event_id = ANY($1::text[])",
            list(late),
        )
        states = {r["event_id"]: r["relay_state"] for r in rows}
        return None if len(states) < 3 or "pending" in states.values() else states

    states = await wait_for(all_handled, within=30)
    assert states == {
        f"evt_repeat_{order_id}": "informational",
        f"evt_older_{order_id}": "informational",
        f"evt_back_{order_id}": "unmatched",
    }
