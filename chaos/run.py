"""The chaos run: orders driven through the public API while the worker is killed at random,
Temporal is restarted once, the provider's faults are armed and every webhook comes twice and
out of order; then a quiet spell for the system to finish, and the audit (`chaos.audit`)."""

from __future__ import annotations

import asyncio
import os
import platform
import random
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from temporalio.client import Client

from bench.progress import Advance
from chaos import audit
from chaos.paths import Driven, Driver, mix
from chaos.stack import ChaosStack
from runtime.devstack import ROOT
from runtime.temporal import data_converter
from worker import WORKFLOWS


@dataclass
class ChaosConfig:
    orders: int = 300
    rate: float = 2.0  # orders placed per second, as a shop's customers come
    concurrency: int = 60  # orders being driven at once, at most
    seed: int = field(default_factory=lambda: random.randrange(1 << 30))
    kill_every: tuple[float, float] = (5.0, 20.0)  # seconds between two kills of the worker
    fault_every: float = 6.0  # seconds between two armed provider faults
    restart_temporal_at: float = 0.4  # share of the orders placed when Temporal is restarted
    temporal_down_seconds: float = 10.0  # how long Temporal stays away then
    startup_seconds: float = 40.0  # allowed for the stack's start, before the first order
    hold_seconds: float = 150.0  # chaoshold's dispatch cut-off, after the stack started
    tail_seconds: float = 60.0  # the chaos goes on this long after the last order was placed
    settle_seconds: float = 600.0  # the quiet spell's limit, once the chaos stopped
    retry_seconds: float = 60.0  # how long a failed payment waits for the customer's retry
    tracking_step: float = 0.5
    folder: Path = field(default_factory=lambda: ROOT / ".data" / "chaos")


class Chaos:
    def __init__(self, config: ChaosConfig, advance: Advance) -> None:
        self.config, self.advance = config, advance
        self.rng = random.Random(config.seed)
        cutoff = datetime.now(UTC) + timedelta(seconds=config.startup_seconds + config.hold_seconds)
        self.cutoff = cutoff
        self.stack = ChaosStack(
            config.folder / "stack",
            cutoff,
            seed=config.seed + 1,
            tracking_step=config.tracking_step,
            retry_seconds=config.retry_seconds,
        )
        self.calm = asyncio.Event()
        self.placed = 0
        self.faults_armed = 0
        self.recovery: dict[str, Any] = {}
        self.lock = asyncio.Lock()

    async def run(self) -> dict[str, Any]:
        stack, config = self.stack, self.config
        self.client = await Client.connect(
            stack.temporal_address, data_converter=data_converter(stack.settings)
        )
        orders = [Driven(path) for path in mix(config.orders, config.seed)]
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=50)
        async with httpx.AsyncClient(timeout=60, limits=limits) as http:
            driver = Driver(http, stack.api_url, stack.storefront)
            chaos = [
                asyncio.create_task(self._kill_workers()),
                asyncio.create_task(self._arm_faults()),
                asyncio.create_task(self._restart_temporal(len(orders))),
            ]
            # The chaos lasts as long as the orders come in, and its tail: a driver still
            # waiting after that (a payment retried for minutes) finishes in the calm.
            calm = asyncio.create_task(
                self._calm_after(len(orders) / config.rate + config.tail_seconds)
            )
            started = asyncio.get_running_loop().time()
            await self._drive(driver, orders)
            driven_seconds = asyncio.get_running_loop().time() - started
            await calm
            await asyncio.gather(*chaos)
        settled = await audit.settle(stack.dsn, self.client, orders, config.settle_seconds)
        return await self._report(orders, driven_seconds, settled)

    async def _drive(self, driver: Driver, orders: list[Driven]) -> None:
        gate = asyncio.Semaphore(self.config.concurrency)
        done = 0

        async def one(i: int, order: Driven) -> None:
            nonlocal done
            await asyncio.sleep(i / self.config.rate)
            async with gate:
                self.placed += 1
                await driver.drive(order)
                done += 1
                self.advance("orders driven", done, len(orders))

        await asyncio.gather(*(one(i, o) for i, o in enumerate(orders)))

    async def _calm_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self.calm.set()
        await asyncio.to_thread(self.stack.disarm_faults)

    async def _quiet(self, seconds: float) -> bool:
        """Sleep; True once the chaos is over."""
        try:
            await asyncio.wait_for(self.calm.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def _kill_workers(self) -> None:
        while not await self._quiet(self.rng.uniform(*self.config.kill_every)):
            async with self.lock:
                await asyncio.to_thread(self.stack.kill_worker)

    async def _arm_faults(self) -> None:
        while not await self._quiet(self.config.fault_every):
            await asyncio.to_thread(self.stack.arm_fault)
            self.faults_armed += 1

    async def _restart_temporal(self, total: int) -> None:
        while self.placed < total * self.config.restart_temporal_at:
            if await self._quiet(0.5):
                return
        async with self.lock:
            down = await asyncio.to_thread(
                self.stack.restart_temporal, self.config.temporal_down_seconds
            )
        back = datetime.now(UTC)
        self.recovery["down_seconds"] = round(down, 1)
        conn = await asyncpg.connect(self.stack.dsn)
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            progress = backlog = None
            while (progress is None or backlog is None) and loop.time() - started < 600:
                if progress is None and await conn.fetchval(
                    "SELECT count(*) FROM order_events WHERE at > $1", back
                ):
                    progress = round(loop.time() - started, 1)
                if backlog is None and not await conn.fetchval(
                    "SELECT count(*) FROM webhook_inbox WHERE relay_state = 'pending'"
                    " AND received_at <= $1",
                    back,
                ):
                    backlog = round(loop.time() - started, 1)
                await asyncio.sleep(0.2)
        finally:
            await conn.close()
        self.recovery["first_progress_seconds"] = progress
        self.recovery["backlog_relayed_seconds"] = backlog

    async def _report(
        self, orders: list[Driven], driven_seconds: float, settled: float
    ) -> dict[str, Any]:
        stack = self.stack
        conn = await asyncpg.connect(stack.dsn)
        try:
            counts, stuck = await audit.states(conn, self.client, orders)
            money = await audit.money(conn, stack.sandbox_db, orders)
            hooks = await audit.webhooks(conn, stack.sandbox_db)
        finally:
            await conn.close()
        determinism = await audit.determinism(
            self.client,
            orders,
            WORKFLOWS,
            data_converter(stack.settings),
            stack.log_text("worker"),
        )
        reached = len(orders) - len(stuck)
        verdict = {
            "every_order_reached_its_state": not stuck,
            "no_double_money": not money["double_captures"]
            and not money["double_refunds"]
            and not money["mismatches"],
            "no_refund_refused_by_the_provider": money["refunds_refused"] == 0,
            "no_non_determinism": determinism["errors"] == 0,
            "every_webhook_relayed": hooks["not_relayed_count"] == 0
            and hooks["not_delivered"] == 0,
        }
        return {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "config": {
                k: str(v) if isinstance(v, Path) else v for k, v in asdict(self.config).items()
            },
            "passed": all(verdict.values()),
            "verdict": verdict,
            "orders": {"total": len(orders), "reached": reached, "by_path": counts},
            "stuck": stuck,
            "chaos": {
                "worker_kills": stack.worker_kills,
                "temporal_restarts": 1 if self.recovery else 0,
                "faults_armed": self.faults_armed,
                "webhooks": "every webhook delivered twice, out of order",
                "dispatch_cutoff": self.cutoff.isoformat(timespec="seconds"),
            },
            "timing": {
                "driven_seconds": round(driven_seconds, 1),
                "settled_seconds": settled,
                "temporal_recovery": self.recovery,
            },
            "money": money,
            "determinism": determinism,
            "webhooks": hooks,
        }


async def run_chaos(config: ChaosConfig, advance: Advance | None = None) -> dict[str, Any]:
    chaos = Chaos(config, advance or (lambda phase, done, total: None))
    await asyncio.to_thread(chaos.stack.start)
    try:
        return await chaos.run()
    finally:
        await asyncio.to_thread(chaos.stack.stop)
