"""An order evicted from the worker's cache while it waits on a timer replays its history when
the timer fires and goes on as if it had stayed: what a worker with many more open orders
than cached runs does all day (ORDERFLOW_WORKER_CACHED_WORKFLOWS, docs/performance.md)."""

from __future__ import annotations

import uuid
from contextlib import suppress
from datetime import timedelta

import pytest
from temporalio.client import Client
from temporalio.runtime import MetricBuffer, Runtime, TelemetryConfig
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.domain.helpers import preset
from tests.integration.harness import wait_for
from tests.workflows.fakes import FakeWorld, held_at_dispatch, order_input
from workflows.names import order_workflow_id
from workflows.order.workflow import OrderWorkflow
from workflows.returns.workflow import ReturnWorkflow
from workflows.runner import workflow_runner

ORDERS = 3


async def _each_once(world: FakeWorld, prefix: str) -> bool:
    """Every order made this call, and none twice."""
    return sum(c.startswith(prefix) for c in world.calls) == ORDERS


def _counted(buffer: MetricBuffer, name: str) -> int:
    """The SDK counter's total over what the worker reported so far."""
    return sum(
        int(update.value)
        for update in buffer.retrieve_updates()
        if update.metric.name == name and isinstance(update.value, int)
    )


@pytest.mark.parametrize("sandboxed", [False, True], ids=["no-sandbox", "sandbox"])
async def test_orders_evicted_while_waiting_for_dispatch_replay_and_ship(
    time_env: WorkflowEnvironment, sandboxed: bool
) -> None:
    """IMA-SHP-2: three orders wait for the next day's dispatch slot on a worker that keeps
    one run; each is evicted, replays when its timer fires, and is labelled once."""
    world = FakeWorld()
    policy = held_at_dispatch(preset("imalent"))
    queue = f"q-{uuid.uuid4()}"
    # a client of its own whose runtime keeps the worker's SDK metrics in memory
    buffer = MetricBuffer(10_000)
    runtime = Runtime(telemetry=TelemetryConfig(metrics=buffer))
    client = await Client.connect(
        time_env.client.service_client.config.target_host,
        namespace=time_env.client.namespace,
        data_converter=time_env.client.data_converter,
        runtime=runtime,
    )
    async with Worker(
        client,
        task_queue=queue,
        workflows=[OrderWorkflow, ReturnWorkflow],
        activities=world.activities(),
        workflow_runner=workflow_runner(sandboxed),
        max_cached_workflows=1,
    ):
        handles = [
            await time_env.client.start_workflow(
                OrderWorkflow.run,
                order_input(order_id, policy),
                id=order_workflow_id(order_id),
                task_queue=queue,
            )
            for order_id in (f"ev-{uuid.uuid4().hex[:8]}" for _ in range(ORDERS))
        ]
        try:
            # the side effects tell, not queries: a query of a run out of the cache is a replay
            # of its own, racing the run's next task
            await wait_for(lambda: _each_once(world, "capture:"), within=30)
            await time_env.sleep(timedelta(days=2, hours=1))
            await wait_for(lambda: _each_once(world, "label:"), within=30)
        finally:
            for handle in handles:
                with suppress(RPCError):
                    await handle.terminate("test finished")
    labels = [c for c in world.calls if c.startswith("label:")]
    assert sorted(c.split(":")[1] for c in labels) == sorted(
        h.id.removeprefix("order-") for h in handles
    )
    captures = [c for c in world.calls if c.startswith("capture:")]
    assert len(labels) == len(captures) == ORDERS, world.calls
    # the runs were pushed out of the one-run cache while their timers ran
    assert _counted(buffer, "temporal_sticky_cache_total_forced_eviction") >= ORDERS - 1
