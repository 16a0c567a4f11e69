"""Temporal down while webhooks and orders arrive: both are accepted, and reach their
workflows once Temporal is back (ARCHITECTURE: webhooks never get lost)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.orders import OrderSnapshot
from runtime.postgres import LocalPostgres, free_port
from runtime.settings import Settings
from runtime.temporal import data_converter
from sandbox.webhooks import signed_headers
from store.db import create_pool, migrate
from tests.conftest import SCRIPTS
from tests.integration.harness import STOREFRONT, order_body, running_system, wait_for
from tests.workflows.fakes import FakeWorld
from workflows.names import QUERY_ORDER, SEARCH_ATTRIBUTES, order_workflow_id
from workflows.order.workflow import OrderWorkflow
from workflows.returns.workflow import ReturnWorkflow
from workflows.runner import workflow_runner

# The settings' development keys: what every test client and worker encrypts with.
CONVERTER = data_converter(Settings(_env_file=None))  # type: ignore[call-arg]


@asynccontextmanager
async def dev_server(port: int, database: Path) -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        port=port,
        data_converter=CONVERTER,
        dev_server_existing_path=str(SCRIPTS / "temporal"),
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_database_filename=str(database),
    )
    try:
        yield env
    finally:
        await env.shutdown()


async def test_webhooks_and_orders_accepted_during_an_outage_are_delivered_after(
    tmp_path: Path,
    postgres: LocalPostgres,
) -> None:
    # A database of its own: the suite's other relays talk to another Temporal server.
    database_url = postgres.create_database("orderflow_outage")
    pool = await create_pool(database_url)
    await migrate(pool)
    try:
        await _outage(tmp_path, database_url, pool)
    finally:
        await pool.close()


async def _outage(tmp_path: Path, database_url: str, pool: asyncpg.Pool) -> None:
    port, database = free_port(), tmp_path / "temporal.db"
    world = FakeWorld()
    client = await Client.connect(f"127.0.0.1:{port}", data_converter=CONVERTER, lazy=True)
    async with running_system(tmp_path, database_url, client, pool, with_worker=False) as system:
        queue = system.settings.temporal_task_queue
        async with dev_server(port, database) as env:
            async with Worker(
                env.client,
                task_queue=queue,
                workflows=[OrderWorkflow, ReturnWorkflow],
                workflow_runner=workflow_runner(),
                activities=world.activities(),
            ):
                placed = (
                    await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body())
                ).json()
                order_id = placed["order_id"]
                handle = client.get_workflow_handle(order_workflow_id(order_id))

                async def labelled() -> bool:
                    snapshot = await handle.query(QUERY_ORDER, result_type=OrderSnapshot)
                    return snapshot is not None and len(snapshot.shipments) == 1

                await wait_for(labelled, within=30)

        # Temporal is down now. A tracking webhook and a new order both arrive.
        event_id = f"evt_{uuid.uuid4().hex}"
        body = json.dumps(
            {
                "type": "tracking.updated",
                "data": {
                    "tracking_number": "TRK1",
                    "reference": order_id,
                    "status": "delivered",
                    "occurred_at": "2026-03-03T08:00:00+00:00",
                },
            }
        ).encode()
        secret = system.settings.carrier_webhook_secret.get_secret_value()
        accepted = await system.api.post(
            "/v1/webhooks/carriers/sandbox",
            content=body,
            headers=signed_headers(secret, event_id, body),
        )
        assert accepted.status_code == 200
        late = await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body())
        assert late.status_code == 201, late.text
        late_id = late.json()["order_id"]

        async def inbox_state() -> Any:
            return await pool.fetchrow(
                "SELECT relay_state, attempts, last_error FROM webhook_inbox WHERE event_id = $1",
                event_id,
            )

        row = await wait_for(lambda: _tried(inbox_state), within=15)
        assert row["relay_state"] == "pending" and row["attempts"] >= 1
        assert (
            await pool.fetchval(
                "SELECT workflow_started_at FROM orders WHERE order_id = $1", late_id
            )
            is None
        )

        # Temporal is back, on the same database: the relay delivers and starts what waited.
        async with dev_server(port, database) as env:
            async with Worker(
                env.client,
                task_queue=queue,
                workflows=[OrderWorkflow, ReturnWorkflow],
                workflow_runner=workflow_runner(),
                activities=world.activities(),
            ):

                async def delivered() -> bool:
                    row = await inbox_state()
                    return row["relay_state"] == "relayed"

                await wait_for(delivered, within=60)

                async def order_delivered() -> bool:
                    snapshot = await handle.query(QUERY_ORDER, result_type=OrderSnapshot)
                    return snapshot.status.value in ("delivered", "completed")

                await wait_for(order_delivered, within=30)

                async def late_started() -> bool:
                    return await pool.fetchval(
                        "SELECT workflow_started_at IS NOT NULL FROM orders WHERE order_id = $1",
                        late_id,
                    )

                await wait_for(late_started, within=30)
                described = await client.get_workflow_handle(order_workflow_id(late_id)).describe()
                assert described.id == order_workflow_id(late_id)


async def _tried(fetch: Any) -> Any:
    row = await fetch()
    return row if row is not None and row["attempts"] >= 1 else None
