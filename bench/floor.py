"""The engine floor: a workflow that does nothing but what an order's history shows the engine
doing (the same number of activities, local activities, signals, timers, search-attribute
upserts and updates), run by a worker process with the same settings as orderflow's.
Its worker process is `bench.floor_worker`."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.common import SearchAttributeKey

SIGNAL = "poke"
UPDATE = "first_step"
# A keyword search attribute every orderflow server has (the floor writes it as an order does).
STATUS = SearchAttributeKey.for_keyword("OrderStatus")


class FloorShape(BaseModel):
    activities: int
    local_activities: int = 0
    signals: int
    timers: int
    upserts: int = 0
    updates: int = 0
    timer_seconds: float  # all the timers together last this long, like the order's waits


@activity.defn(name="floor_step")
async def floor_step(step: int) -> int:
    return step


@workflow.defn(name="FloorWorkflow")
class FloorWorkflow:
    def __init__(self) -> None:
        self._signals = 0
        self._steps = 0

    @workflow.signal(name=SIGNAL)
    def poke(self) -> None:
        self._signals += 1

    @workflow.update(name=UPDATE)
    async def first_step(self) -> int:
        # Like the order's payment step: answered once the first activity is done.
        await workflow.wait_condition(lambda: self._steps > 0)
        return self._steps

    @workflow.run
    async def run(self, shape: FloorShape) -> int:
        # Like an order: most timers guard a wait and are cancelled when the awaited thing
        # happens; the last one (the return window) runs out.
        guarded = max(shape.timers - 1, 0)
        upserts = iter(range(shape.upserts))
        for step in range(shape.activities):
            guard = asyncio.create_task(workflow.sleep(3600)) if step < guarded else None
            await workflow.execute_activity(
                floor_step, step, start_to_close_timeout=timedelta(seconds=30)
            )
            self._steps += 1
            if guard is not None:
                guard.cancel()
            self._upsert(next(upserts, None))
        for step in range(shape.local_activities):
            await workflow.execute_local_activity(
                floor_step, step, start_to_close_timeout=timedelta(seconds=30)
            )
            self._upsert(next(upserts, None))
        for step in upserts:
            self._upsert(step)
        # guards beyond the activities' guard the wait for the signals, as the order's scan
        # waits do
        waits = [
            asyncio.create_task(workflow.sleep(3600))
            for _ in range(max(guarded - shape.activities, 0))
        ]
        await workflow.wait_condition(lambda: self._signals >= shape.signals)
        for wait in waits:
            wait.cancel()
        if shape.timers:
            await workflow.sleep(timedelta(seconds=shape.timer_seconds))
        return shape.activities

    def _upsert(self, step: int | None) -> None:
        if step is not None:
            workflow.upsert_search_attributes([STATUS.value_set(f"floor-{step}")])
