"""The engine floor: a workflow that does nothing but what an order's history shows the engine
doing (the same number of activities, signals and timers), run by a worker process with the
same settings as orderflow's. `python -m bench.floor <temporal address> <task queue>`."""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import timedelta

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

SIGNAL = "poke"


class FloorShape(BaseModel):
    activities: int
    local_activities: int = 0
    signals: int
    timers: int
    timer_seconds: float  # all the timers together last this long, like the order's waits


@activity.defn(name="floor_step")
async def floor_step(step: int) -> int:
    return step


@workflow.defn(name="FloorWorkflow")
class FloorWorkflow:
    def __init__(self) -> None:
        self._signals = 0

    @workflow.signal(name=SIGNAL)
    def poke(self) -> None:
        self._signals += 1

    @workflow.run
    async def run(self, shape: FloorShape) -> int:
        # Like an order: most timers guard a wait and are cancelled when the awaited thing
        # happens; the last one (the return window) runs out.
        guarded = max(shape.timers - 1, 0)
        for step in range(shape.activities):
            guard = asyncio.create_task(workflow.sleep(3600)) if step < guarded else None
            await workflow.execute_activity(
                floor_step, step, start_to_close_timeout=timedelta(seconds=30)
            )
            if guard is not None:
                guard.cancel()
        for step in range(shape.local_activities):
            await workflow.execute_local_activity(
                floor_step, step, start_to_close_timeout=timedelta(seconds=30)
            )
        await workflow.wait_condition(lambda: self._signals >= shape.signals)
        if shape.timers:
            await workflow.sleep(timedelta(seconds=shape.timer_seconds))
        return shape.activities


async def serve(address: str, task_queue: str) -> None:
    from worker import WORKER_OPTIONS
    from workflows.runner import workflow_runner

    client = await Client.connect(address, data_converter=pydantic_data_converter)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[FloorWorkflow],
        activities=[floor_step],
        workflow_runner=workflow_runner(),
        **WORKER_OPTIONS,
    ):
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
