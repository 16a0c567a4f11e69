"""The chaos run: orders driven through the public API while the worker is killed at random,
Temporal and PostgreSQL are each restarted once, the SMTP server is down for two minutes, the
provider's faults are armed and every webhook comes twice and out of order; some orders' own
paths meet a capture refused and a label refused for good, or two refunds at once. Then a
quiet spell for the system to finish, and the audit (`chaos.audit`). The verdict's
expectations are the paths', fixed before the run."""

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
from chaos.stack import CHAOS_HOLD, ChaosStack
from runtime.devstack import ROOT
from runtime.temporal import data_converter
from worker import WORKFLOWS


@dataclass
class ChaosConfig:
    orders: int = 1000
    rate: float = 2.0  # orders placed per second, as a shop's customers come
    concurrency: int = 60  # orders being driven at once, at most
    seed: int = field(default_factory=lambda: random.randrange(1 << 30))
    kill_every: tuple[float, float] = (5.0, 20.0)  # seconds between two kills of the worker
    fault_every: float = 6.0  # seconds between two armed provider faults
    restart_temporal_at: float = 0.4  # share of the orders placed when Temporal is restarted
    temporal_down_seconds: float = 10.0  # how long Temporal stays away then
    restart_postgres_at: float = 0.6  # share of the orders placed when PostgreSQL is restarted
    postgres_down_seconds: float = 5.0
    smtp_down_at: float = 0.2  # share of the orders placed when the SMTP server goes down
    smtp_down_seconds: float = 120.0
    startup_seconds: float = 40.0  # allowed for the stack's start, before the first order
    # chaoshold's dispatch cut-off, after the stack started: its orders placed, and a margin
    hold_seconds: float = 150.0
    hold_margin_seconds: float = 90.0
    tail_seconds: float = 60.0  # the chaos goes on this long after the last order was placed
    settle_seconds: float = 600.0  # the quiet spell's limit, once the chaos stopped
    retry_seconds: float = 60.0  # how long a failed payment waits for the customer's retry
    tracking_step: float = 0.5
    folder: Path = field(default_factory=lambda: ROOT / ".data" / "chaos")


class Chaos:
    def __init__(self, config: ChaosConfig, advance: Advance) -> None:
        self.config, self.advance = config, advance
        self.rng = random.Random(config.seed)
        self.orders = [Driven(path) for path in mix(config.orders, config.seed)]
        held = sum(o.path.merchant == CHAOS_HOLD for o in self.orders)
        hold = max(config.hold_seconds, held / config.rate + config.hold_margin_seconds)
        cutoff = datetime.now(UTC) + timedelta(seconds=config.startup_seconds + hold)
        self.cutoff = cutoff
        self.stack = ChaosStack(
            config.folder / "stack",
            cutoff,
            seed=config.seed + 1,
            tracking_step=config.tracking_step,
            retry_seconds=config.retry_seconds,
        )
        self.calm = asyncio.Event()
        self.temporal_measured = asyncio.Event()
        self.placed = 0
        self.faults_armed = 0
        self.postgres_down: float | None = None
        self.smtp_down: float | None = None
        self.recovery: dict[str, Any] = {}
        self.lock = asyncio.Lock()

    async def run(self) -> dict[str, Any]:
        stack, config = self.stack, self.config
        self.client = await Client.connect(
            stack.temporal_address, data_converter=data_converter(stack.settings)
        )
        orders = self.orders
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=50)
        async with httpx.AsyncClient(timeout=60, limits=limits) as http:
            driver = Driver(http, stack.api_url, stack.storefront, stack.operator)
            chaos = [
                asyncio.create_task(self._kill_workers()),
                asyncio.create_task(self._arm_faults()),
                asyncio.create_task(self._restart_temporal(len(orders))),
                asyncio.create_task(self._restart_postgres(len(orders))),
                asyncio.create_task(self._smtp_outage(len(orders))),
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

    async def _placed_share(self, total: int, share: float) -> bool:
        """Wait until `share` of the orders are placed; False when the chaos ended first."""
        while self.placed < total * share:
            if await self._quiet(0.5):
                return False
        return True

    async def _restart_postgres(self, total: int) -> None:
        """Once Temporal's recovery is measured (from the database), so that the two
        restarts' effects stay apart."""
        if not await self._placed_share(total, self.config.restart_postgres_at):
            return
        await self.temporal_measured.wait()
        async with self.lock:
            down = await asyncio.to_thread(
                self.stack.restart_postgres, self.config.postgres_down_seconds
            )
        self.postgres_down = round(down, 1)

    async def _smtp_outage(self, total: int) -> None:
        if not await self._placed_share(total, self.config.smtp_down_at):
            return
        await asyncio.to_thread(self.stack.smtp_outage, self.config.smtp_down_seconds)
        self.smtp_down = self.config.smtp_down_seconds

    async def _restart_temporal(self, total: int) -> None:
        if not await self._placed_share(total, self.config.restart_temporal_at):
            self.temporal_measured.set()
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
        self.temporal_measured.set()

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
        failed = await audit.failed_workflows(self.client)
        fired = await asyncio.to_thread(stack.faults_fired)
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
            "no_ledger_row_left_pending": not money["pending"],
            "no_authorisation_left_open": not money["open_at_provider"],
            "no_failed_workflow": not failed,
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
            "failed_workflows": failed,
            "chaos": {
                "worker_kills": stack.worker_kills,
                "temporal_restarts": 1 if self.recovery else 0,
                "postgres_down_seconds": self.postgres_down,
                "smtp_down_seconds": self.smtp_down,
                "faults_armed": self.faults_armed,
                "faults_fired": fired,
                "faults_fired_total": sum(fired.values()),
                "webhooks_sent_twice": hooks["sent_twice"],
                "webhooks_sent_out_of_order": hooks["sent_out_of_order"],
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
