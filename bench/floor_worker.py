"""The engine floor's worker process, with orderflow's worker settings and workflow runner.
`python -m bench.floor_worker <temporal address> <task queue>`."""

from __future__ import annotations

import asyncio
import signal
import sys

from temporalio.client import Client
from temporalio.worker import Worker

from bench.floor import FloorWorkflow, floor_step
from runtime import loop as event_loop
from runtime.settings import Settings
from runtime.temporal import data_converter
from worker import WORKER_OPTIONS
from workflows.runner import precompile, workflow_runner


async def serve(address: str, task_queue: str) -> None:
    sandboxed = Settings().workflow_sandbox
    if sandboxed:
        precompile(FloorWorkflow)
    client = await Client.connect(address, data_converter=data_converter(Settings()))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[FloorWorkflow],
        activities=[floor_step],
        workflow_runner=workflow_runner(sandboxed),
        **WORKER_OPTIONS,
    ):
        await stop.wait()


if __name__ == "__main__":
    event_loop.run(serve(sys.argv[1], sys.argv[2]))
