"""The benchmark run: a real local stack of its own (Temporal dev server, PostgreSQL, sandbox
providers, worker and API as separate processes, on free ports, in a folder of its own), and
four measurements on it, each beside its baseline from the same run."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy

from bench.floor import SIGNAL, UPDATE, FloorShape
from bench.progress import Advance
from bench.stats import history_cost, latency_summary, percentile, ratio
from runtime.devstack import PORTS, ROOT, Stack, local_secrets
from runtime.postgres import free_port
from runtime.settings import Settings
from runtime.temporal import data_converter
from sandbox.webhooks import signed_headers
from worker import CACHED_WORKFLOWS, WORKER_OPTIONS

FLOOR_QUEUE = "bench-floor"


@dataclass
class BenchConfig:
    orders: int = 300
    concurrency: int = 50
    webhook_seconds: float = 10.0
    webhook_concurrency: int = 32
    webhook_rate: float = 500.0  # offered rate of the latency run, per second
    at_rest: int = 2000
    scale_orders: int = 100  # orders with one worker, then as many with two (0: skipped)
    return_window_seconds: float = 1.0
    tracking_step_seconds: float = 0.2
    # the workers' runner (ORDERFLOW_WORKFLOW_SANDBOX), as a worker runs by default
    workflow_sandbox: bool = Settings.model_fields["workflow_sandbox"].default
    folder: Path = field(default_factory=lambda: ROOT / ".data" / "bench")


def _presets(folder: Path, config: BenchConfig) -> Path:
    """The shipped presets, plus `benchshop` (demo with a return window of a second) and
    `benchhold` (demo whose parcels leave the next day, so its orders wait on a timer)."""
    target = folder / "policies"
    target.mkdir(parents=True, exist_ok=True)
    for preset in (ROOT / "policies").glob("*.toml"):
        shutil.copy(preset, target / preset.name)
    demo = (ROOT / "policies" / "demo.toml").read_text()
    window = f'length = "PT{config.return_window_seconds:g}S"'
    (target / "benchshop.toml").write_text(
        demo.replace('merchant = "demo"', 'merchant = "benchshop"').replace(
            'length = "PT60S"', window
        )
    )
    (target / "benchhold.toml").write_text(
        demo.replace('merchant = "demo"', 'merchant = "benchhold"')
        + '\n[shipping.dispatch]\nsame_business_day = false\ncutoff = 23:59:00\nclauses = ["IMA-SHP-2"]\n'
    )
    return target


def _order_body(merchant: str, token: str) -> dict[str, Any]:
    return {
        "merchant": merchant,
        "currency": "EUR",
        "customer": {"email": f"bench-{uuid.uuid4().hex[:8]}@example.com"},
        "shipping_address": {
            "name": "Bench Customer",
            "line1": "Brivibas iela 1",
            "city": "Riga",
            "postal_code": "LV-1010",
            "country": "LV",
        },
        "lines": [{"sku": "LAMP-1", "name": "Flashlight", "quantity": 1, "unit_price": "24.90"}],
        "payment": {"method": "card", "token": token},
    }


async def _in_parallel(
    count: int,
    concurrency: int,
    one: Callable[[int], Awaitable[float]],
    advance: Callable[[int], None],
) -> tuple[float, list[float]]:
    """Run `one(i)` for i < count, `concurrency` at a time: wall time and each latency."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def run(i: int) -> None:
        async with gate:
            latencies.append(await one(i))
            advance(len(latencies))

    started = time.perf_counter()
    await asyncio.gather(*(run(i) for i in range(count)))
    return time.perf_counter() - started, latencies


@dataclass
class Measured:
    wall: float
    latencies: list[float]
    cpu: dict[str, float]  # seconds of CPU by process


def _combined(parts: list[Measured]) -> dict[str, Any]:
    """Throughput, latencies and CPU per run over several measured stretches."""
    wall = sum(p.wall for p in parts)
    latencies = [t for p in parts for t in p.latencies]
    count = len(latencies)
    cpu: dict[str, float] = {}
    for part in parts:
        for name, seconds in part.cpu.items():
            cpu[name] = cpu.get(name, 0.0) + seconds
    return {
        "count": count,
        "wall_seconds": round(wall, 2),
        "per_second": round(count / wall, 3) if wall else 0.0,
        **latency_summary(latencies),
        "cpu_ms_per_order": _ms_per_item(cpu, count),
    }


def _ms_per_item(cpu: dict[str, float], count: int) -> dict[str, float]:
    """Milliseconds of CPU per item, by process, from seconds spent (noise under 50 ms out)."""
    return {
        name: round(seconds / max(count, 1) * 1000, 1)
        for name, seconds in cpu.items()
        if seconds > 0.05
    }


class Bench:
    def __init__(self, config: BenchConfig, advance: Advance) -> None:
        self.config = config
        self.advance = advance
        self.folder = config.folder / "stack"
        self.ports = {name: free_port() for name in PORTS}
        self.bare_port = free_port()
        self.stack: Stack | None = None
        # where each worker process answers for its metrics
        self.worker_metrics = {"worker": f"127.0.0.1:{self.ports['worker_metrics']}"}

    # -- the stack ------------------------------------------------------------------------

    def start(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        overrides = {
            "ORDERFLOW_POLICIES_DIR": str(_presets(self.folder, self.config)),
            "ORDERFLOW_SANDBOX_TRACKING_STEP_SECONDS": str(self.config.tracking_step_seconds),
            "ORDERFLOW_RELAY_POLL_SECONDS": "0.2",
            "ORDERFLOW_LOG_LEVEL": "WARNING",
            # every simulated customer comes from 127.0.0.1: one address, not one customer
            "ORDERFLOW_RATE_LIMIT_PER_ADDRESS": "1000000/minute",
            "ORDERFLOW_RATE_LIMIT_PER_TOKEN": "1000000/minute",
            "ORDERFLOW_WORKFLOW_SANDBOX": str(self.config.workflow_sandbox).lower(),
        }
        self.stack = Stack(self.folder, self.ports, overrides)
        self.stack.start()
        address = f"127.0.0.1:{self.ports['temporal']}"
        self.stack.spawn(
            "floor", [sys.executable, "-m", "bench.floor_worker", address, FLOOR_QUEUE], None
        )
        self.stack.spawn(
            "bare", [sys.executable, "-m", "bench.bare", str(self.bare_port)], self.bare_port
        )

    def stop(self) -> None:
        if self.stack is not None:
            self.stack.stop()

    def stop_process(self, name: str, sig: int) -> None:
        """Stop one process of the stack (as its supervisor would) and forget it."""
        assert self.stack is not None
        for entry in [e for e in self.stack.processes if e[0] == name]:
            entry[1].send_signal(sig)
            entry[1].wait(timeout=60)
            self.stack.processes.remove(entry)

    def pid(self, name: str) -> int:
        assert self.stack is not None
        return next(p.pid for n, p in self.stack.processes if n == name)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time used so far by each process of the stack (children included: the
        Temporal CLI runs the server as its child), and by PostgreSQL's processes."""
        assert self.stack is not None
        used: dict[str, float] = {}
        for name, process in self.stack.processes:
            try:
                root = psutil.Process(process.pid)
                family = [root, *root.children(recursive=True)]
                used[name] = sum(sum(p.cpu_times()[:2]) for p in family)
            except psutil.NoSuchProcess:
                used[name] = 0.0
        postmaster = [
            p
            for p in psutil.process_iter(["cmdline"])
            if str(self.stack.data / "postgres") in " ".join(p.info["cmdline"] or [])
        ]
        family = [q for p in postmaster for q in (p, *p.children(recursive=True))]
        used["postgres"] = sum(sum(p.cpu_times()[:2]) for p in family)
        used["bench client"] = sum(psutil.Process().cpu_times()[:2])
        return used

    def cpu_spent(self, before: dict[str, float]) -> dict[str, float]:
        """Seconds of CPU each process spent since `before` (a `cpu_seconds()` reading)."""
        after = self.cpu_seconds()
        return {name: after[name] - before.get(name, 0.0) for name in after}

    # -- the measurements -----------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        keys = local_secrets(self.folder)
        self.storefront = {"Authorization": f"Bearer {keys['ORDERFLOW_STOREFRONT_API_KEY']}"}
        self.api_url = f"http://127.0.0.1:{self.ports['api']}"
        stack_keys = Settings(
            _env_file=None,  # type: ignore[call-arg]
            environment="development",
            payload_codec_keys=keys["ORDERFLOW_PAYLOAD_CODEC_KEYS"],
        )
        self.client = await Client.connect(
            f"127.0.0.1:{self.ports['temporal']}", data_converter=data_converter(stack_keys)
        )
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
        async with httpx.AsyncClient(timeout=60, limits=limits) as http:
            self.http = http
            measured = await self.lifecycle_and_floors()
            order_cost = history_cost(
                await self.client.get_workflow_handle(
                    f"order-{measured['order_id']}"
                ).fetch_history()
            )
            floor_costs = {
                key: history_cost(
                    await self.client.get_workflow_handle(measured[f"{key}_id"]).fetch_history()
                )
                for key in ("floor", "full_floor")
            }
            scale = await self._scale_out() if self.config.scale_orders > 0 else None
            webhooks = await self.webhooks() if self.config.webhook_seconds > 0 else None
            at_rest = await self.at_rest() if self.config.at_rest > 0 else None
        return {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "config": {
                k: str(v) if isinstance(v, Path) else v for k, v in asdict(self.config).items()
            },
            "worker_settings": {
                "max_concurrent_activities": WORKER_OPTIONS["max_concurrent_activities"],
                "max_concurrent_workflow_tasks": WORKER_OPTIONS["max_concurrent_workflow_tasks"],
                "max_cached_workflows": CACHED_WORKFLOWS,
                "workflow_sandbox": self.config.workflow_sandbox,
            },
            "lifecycle": measured["lifecycle"],
            "floor": measured["floor"],
            "full_floor": measured["full_floor"],
            "lifecycle_to_floor": ratio(
                measured["lifecycle"]["per_second"], measured["floor"]["per_second"]
            ),
            "lifecycle_to_full_floor": ratio(
                measured["lifecycle"]["per_second"], measured["full_floor"]["per_second"]
            ),
            "history": {"order": order_cost, **floor_costs},
            "scale_out": scale,
            "webhooks": webhooks,
            "at_rest": at_rest,
        }

    async def lifecycle_and_floors(self) -> dict[str, Any]:
        """The lifecycle and two floors, in halves: lifecycle, floor, full floor, full floor,
        floor, lifecycle, so that drift over the run (the machine, Temporal's database growing)
        weighs on all three alike. The floors' shape is read from an order of the first half:
        the floor has its activities, local activities, signals and timers; the full floor also
        its search-attribute upserts and its update, so its history is the order's."""
        config = self.config
        halves = ((0, config.orders // 2), (config.orders // 2, config.orders - config.orders // 2))
        orders: dict[str, str] = {}
        one_order = self._one_order(orders)
        life = [await self._measure("lifecycle", one_order, *halves[0])]
        # the order the floors are shaped from is the one the history figures describe: orders
        # differ by a wait or two with how their scans arrive
        shaped_from = orders["last"]
        cost = history_cost(
            await self.client.get_workflow_handle(f"order-{shaped_from}").fetch_history()
        )
        full = FloorShape(
            activities=cost["activities"],
            local_activities=cost["local_activities"],
            signals=cost["signals"],
            timers=cost["timers"],
            upserts=cost["upserts"],
            updates=cost["updates"],
            timer_seconds=config.return_window_seconds,
        )
        plain = full.model_copy(update={"upserts": 0, "updates": 0})
        floors = {
            "floor": (plain, self._one_floor(plain)),
            "full floor": (full, self._one_floor(full)),
        }
        measured: dict[str, list[Measured]] = {name: [] for name in floors}
        for name, (_, (one, _)) in floors.items():
            measured[name].append(await self._measure(name, one, *halves[0]))
        for name, (_, (one, _)) in reversed(floors.items()):
            measured[name].append(await self._measure(name, one, *halves[1]))
        life.append(await self._measure("lifecycle", one_order, *halves[1]))
        results: dict[str, Any] = {"lifecycle": _combined(life), "order_id": shaped_from}
        for name, (shape, (_, first_id)) in floors.items():
            key = name.replace(" ", "_")
            results[key] = {**_combined(measured[name]), "shape": shape.model_dump()}
            results[f"{key}_id"] = first_id
        return results

    async def _scale_out(self) -> dict[str, Any]:
        from bench.scale import scale_out

        return await scale_out(self, self.config.scale_orders)

    async def measure_orders(self, phase: str, count: int, placed: list[str]) -> Measured:
        """`count` lifecycle orders, `config.concurrency` at a time, their IDs in `placed`."""
        return await self._measure(phase, self._one_order({}, placed), 0, count, total=count)

    def _one_order(
        self, orders: dict[str, str], placed: list[str] | None = None
    ) -> Callable[[int], Awaitable[float]]:
        """One order through the whole happy path: placed, 3-D Secure challenge passed at the
        sandbox, captured, shipped, scanned by the carrier, delivered, return window closed."""

        async def one(i: int) -> float:
            started = time.perf_counter()
            body = await self._place("benchshop", "pm_card_3ds_required")
            if placed is not None:
                placed.append(body["order_id"])
            action = body.get("next_action") or await self._next_action(body)
            challenge = await self.http.post(action["url"], params={"outcome": "complete"})
            challenge.raise_for_status()
            result = await self.client.get_workflow_handle(f"order-{body['order_id']}").result()
            if result["status"] != "completed":
                raise RuntimeError(f"order {body['order_id']} ended {result['status']}")
            orders["last"] = body["order_id"]
            return time.perf_counter() - started

        return one

    async def _place(self, merchant: str, token: str) -> dict[str, Any]:
        """`POST /v1/orders` as a storefront does; the API's answer."""
        placed = await self.http.post(
            f"{self.api_url}/v1/orders", headers=self.storefront, json=_order_body(merchant, token)
        )
        body: dict[str, Any] = placed.json()
        if placed.status_code != 201:
            raise RuntimeError(f"order refused: {placed.status_code} {body}")
        return body

    async def _next_action(self, placed: dict[str, Any]) -> dict[str, Any]:
        """Under load the 201 may come before the workflow knew the challenge URL: the
        order's page shows it once known, as a storefront would poll it."""
        mine = {"Authorization": f"Bearer {placed['access_token']}"}
        for _ in range(600):
            view = await self.http.get(
                f"{self.api_url}/v1/orders/{placed['order_id']}", headers=mine
            )
            action = view.json().get("next_action")
            if action:
                return dict(action)
            await asyncio.sleep(0.5)
        raise RuntimeError(f"order {placed['order_id']} never asked for a 3-D Secure check")

    def _one_floor(self, shape: FloorShape) -> tuple[Callable[[int], Awaitable[float]], str]:
        """One floor workflow, driven as an order is; and the ID of the first one."""
        run = uuid.uuid4().hex[:6]

        async def one(i: int) -> float:
            started = time.perf_counter()
            options = dict(id=f"floor-{run}-{i}", task_queue=FLOOR_QUEUE)
            if shape.updates:
                # Started as an order is: with its first update in the same request.
                start = WithStartWorkflowOperation(
                    "FloorWorkflow",
                    shape,
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                    **options,
                )
                await self.client.execute_update_with_start_workflow(
                    UPDATE, start_workflow_operation=start
                )
                handle = await start.workflow_handle()
            else:
                handle = await self.client.start_workflow("FloorWorkflow", shape, **options)
            for _ in range(shape.updates - 1):
                await handle.execute_update(UPDATE)
            # Signals come as the carrier's scans do, one tracking step apart.
            for _ in range(shape.signals):
                await asyncio.sleep(self.config.tracking_step_seconds)
                await handle.signal(SIGNAL)
            await handle.result()
            return time.perf_counter() - started

        return one, f"floor-{run}-0"

    async def _measure(
        self,
        phase: str,
        one: Callable[[int], Awaitable[float]],
        start: int,
        count: int,
        total: int | None = None,
    ) -> Measured:
        """`count` runs of `one` (numbered from `start`), `config.concurrency` at a time; the
        phase's progress out of `total` (the configured orders unless given)."""
        config = self.config
        before = self.cpu_seconds()
        wall, latencies = await _in_parallel(
            count,
            config.concurrency,
            lambda i: one(start + i),
            lambda n: self.advance(phase, start + n, total or config.orders),
        )
        return Measured(wall, latencies, self.cpu_spent(before))

    async def webhooks(self) -> dict[str, Any]:
        """Signed carrier webhooks: verify, inbox insert, 2xx, with the relay draining them in
        parallel; beside the same framework's bare endpoint."""
        settings = Settings(_env_file=None, environment="development")  # type: ignore[call-arg]
        secret = settings.carrier_webhook_secret.get_secret_value()
        intake = f"{self.api_url}/v1/webhooks/carriers/sandbox"
        bare = f"http://127.0.0.1:{self.bare_port}/v1/webhooks/carriers/sandbox"

        def request(i: int) -> tuple[bytes, dict[str, str]]:
            event_id = f"bench_{uuid.uuid4().hex}"
            body = json.dumps(
                {
                    "type": "tracking.updated",
                    "data": {
                        "tracking_number": f"SB{i:010d}BE",
                        "reference": f"bench-{i}",
                        "status": "in_transit",
                        "occurred_at": datetime.now(UTC).isoformat(),
                    },
                }
            ).encode()
            return body, signed_headers(secret, event_id, body)

        async def send(url: str, i: int) -> float:
            body, headers = request(i)
            started = time.perf_counter()
            response = await self.http.post(url, content=body, headers=headers)
            if response.status_code >= 300:
                raise RuntimeError(f"{url}: HTTP {response.status_code} {response.text[:200]}")
            return time.perf_counter() - started

        async def saturate(url: str, phase: str) -> dict[str, Any]:
            seconds, latencies = self.config.webhook_seconds, []
            deadline = time.perf_counter() + seconds

            async def sender() -> None:
                while time.perf_counter() < deadline:
                    latencies.append(await send(url, len(latencies)))
                    self.advance(
                        phase, int(seconds - (deadline - time.perf_counter())), int(seconds)
                    )

            started = time.perf_counter()
            await asyncio.gather(*(sender() for _ in range(self.config.webhook_concurrency)))
            wall = time.perf_counter() - started
            return {"per_second": round(len(latencies) / wall, 1), **latency_summary(latencies)}

        async def offered(url: str, phase: str) -> dict[str, Any]:
            rate, seconds = self.config.webhook_rate, self.config.webhook_seconds
            total = max(1, int(rate * seconds))
            started = time.perf_counter()
            tasks = []
            for i in range(total):
                await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
                tasks.append(asyncio.create_task(send(url, i)))
                self.advance(phase, i + 1, total)
            latencies = await asyncio.gather(*tasks)
            return {"offered_per_second": rate, **latency_summary(latencies)}

        results = {
            "bare": await saturate(bare, "webhooks: bare endpoint"),
            "intake": await saturate(intake, "webhooks: intake"),
            "bare_at_rate": await offered(bare, "webhooks: bare at a fixed rate"),
            "intake_at_rate": await offered(intake, "webhooks: intake at a fixed rate"),
        }
        results["throughput_ratio"] = ratio(
            results["intake"]["per_second"], results["bare"]["per_second"]
        )
        results["relay_drained_seconds"] = await self._relay_drained()
        return results

    async def _until(self, sql: str, done: Callable[[int], bool], every: float) -> float:
        """Poll a count in the stack's database until `done` says so (ten minutes at most);
        returns the seconds it took."""
        assert self.stack is not None
        started = time.perf_counter()
        conn = await asyncpg.connect(self.stack.postgres.dsn())
        try:
            for _ in range(int(600 / every)):
                if done(await conn.fetchval(sql)):
                    break
                await asyncio.sleep(every)
        finally:
            await conn.close()
        return round(time.perf_counter() - started, 2)

    async def _relay_drained(self) -> float:
        pending = "SELECT count(*) FROM webhook_inbox WHERE relay_state = 'pending'"
        return await self._until(pending, lambda left: left == 0, 0.2)

    async def _all_waiting(self, count: int) -> None:
        """Until `count` benchhold orders are paid and waiting for their dispatch slot."""
        waiting = (
            "SELECT count(*) FROM order_events e JOIN orders o USING (order_id)"
            " WHERE o.merchant = 'benchhold' AND e.kind = 'dispatch_scheduled'"
        )
        await self._until(waiting, lambda n: n >= count, 0.5)
        await asyncio.sleep(2)  # the worker idle again

    async def at_rest(self) -> dict[str, Any]:
        """Orders paid and waiting for tomorrow's dispatch slot (a durable timer each): the
        worker's memory as they pile up, within its workflow cache and beyond."""
        total, worker = self.config.at_rest, psutil.Process(self.pid("worker"))
        # once the cache is full, then every 10,000 orders, so the slope can be read
        checkpoints = sorted({min(total, CACHED_WORKFLOWS), *range(10_000, total, 10_000), total})
        rss = {0: worker.memory_info().rss}
        placed, before, started = 0, self.cpu_seconds(), time.perf_counter()

        async def one(i: int) -> float:
            started = time.perf_counter()
            await self._place("benchhold", "pm_card_approved")
            return time.perf_counter() - started

        for checkpoint in checkpoints:
            batch = checkpoint - placed
            await _in_parallel(
                batch,
                self.config.concurrency,
                one,
                lambda n, base=placed: self.advance("orders at rest", base + n, total),
            )
            placed = checkpoint
            await self._all_waiting(checkpoint)
            rss[checkpoint] = worker.memory_info().rss
        cached = checkpoints[0]
        result: dict[str, Any] = {
            "orders": total,
            "rss_mb": {str(k): round(v / 2**20, 1) for k, v in rss.items()},
            "per_cached_order_kb": round((rss[cached] - rss[0]) / cached / 1024, 1),
            "placed_per_second": round(total / (time.perf_counter() - started), 1),
            "cpu_ms_per_order": _ms_per_item(self.cpu_spent(before), total),
        }
        if total > cached:
            result["per_evicted_order_kb"] = round(
                (rss[total] - rss[cached]) / (total - cached) / 1024, 2
            )
        return result


async def run_bench(config: BenchConfig, advance: Advance | None = None) -> dict[str, Any]:
    bench = Bench(config, advance or (lambda phase, done, total: None))
    await asyncio.to_thread(bench.start)
    try:
        return await bench.run()
    finally:
        await asyncio.to_thread(bench.stop)


__all__ = ["BenchConfig", "run_bench", "percentile"]
