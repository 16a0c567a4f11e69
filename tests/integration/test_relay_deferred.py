"""The relay's deferred start (ARCHITECTURE: an order accepted while Temporal was slow or
unreachable is started later): an order whose placement did start its workflow after all,
and whose workflow has already ended, is marked started, and the orders behind it are not
held up (it used to fail every pass with WorkflowAlreadyStartedError)."""

from __future__ import annotations

from typing import Any

from temporalio.client import WorkflowExecutionStatus

from starter.relay import Relay
from tests.integration.harness import STOREFRONT, System, order_body, wait_for
from workflows.names import order_workflow_id


async def place(system: System) -> str:
    placed = await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body())
    assert placed.status_code == 201, placed.text
    return str(placed.json()["order_id"])


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
