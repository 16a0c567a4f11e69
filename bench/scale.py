"""Scale-out: the lifecycle with one worker process, then with a second one polling the same
task queue. Each stretch reports orders/s and CPU per order, the task queue's backlog as the
server reports it (what a horizontal autoscaler reads: `DescribeTaskQueue`, or the workers'
`temporal_worker_task_slots_used`), and the side effects counted where they land: captures
at the payment sandbox, labels at the carrier sandbox, e-mails at the SMTP sink. An order
worked by two workers at once would show there as a second capture, label or e-mail."""

from __future__ import annotations

import asyncio
import re
import signal
import sqlite3
import time
from collections import Counter
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError

from runtime.postgres import free_port
from runtime.settings import Settings

if TYPE_CHECKING:
    from bench.run import Bench

QUEUE: str = Settings.model_fields["temporal_task_queue"].default
SLOTS_USED = re.compile(
    r'^temporal_worker_task_slots_used\{[^}]*worker_type="WorkflowWorker"[^}]*\} (\S+)$', re.M
)


async def _workflow_queue(client: Client) -> Any:
    return await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=QUEUE),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            report_stats=True,
        )
    )


class Backlog:
    """Samples, every half second until stopped, the workflow task backlog the server reports
    and the workflow task slots each worker reports in use."""

    def __init__(self, client: Client, metrics: list[str]) -> None:
        self.client, self.metrics = client, metrics
        self.backlog: list[int] = []
        self.slots: list[float] = []
        self.missed = 0
        self._stop = asyncio.Event()

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=2) as http:
            while not self._stop.is_set():
                try:
                    described = await _workflow_queue(self.client)
                    used = 0.0
                    for address in self.metrics:
                        text = (await http.get(f"http://{address}/metrics")).text
                        used += sum(float(v) for v in SLOTS_USED.findall(text))
                except (RPCError, httpx.HTTPError):
                    self.missed += 1  # a sample the server or a worker did not answer in time
                else:
                    self.backlog.append(int(described.stats.approximate_backlog_count))
                    self.slots.append(used)
                try:
                    await asyncio.wait_for(self._stop.wait(), 0.5)
                except TimeoutError:
                    pass

    def stop(self) -> None:
        self._stop.set()

    def summary(self) -> dict[str, Any]:
        return {
            "samples": len(self.backlog),
            "missed": self.missed,
            "backlog_max": max(self.backlog, default=0),
            "backlog_mean": round(sum(self.backlog) / max(len(self.backlog), 1), 1),
            "slots_used_max": max(self.slots, default=0.0),
            "slots_used_mean": round(sum(self.slots) / max(len(self.slots), 1), 2),
        }


def side_effects(sandbox_db: Path, mail: Path, orders: list[str]) -> dict[str, int]:
    """Per order: captures at the payment sandbox, labels at the carrier sandbox, e-mails at
    the SMTP sink by Message-ID (each e-mail's ID comes from its key)."""
    wanted = set(orders)
    with sqlite3.connect(sandbox_db) as db:
        captured = Counter(
            ref
            for (ref,) in db.execute("SELECT reference FROM payments WHERE status = 'captured'")
            if ref in wanted
        )
        labelled = Counter(
            ref for (ref,) in db.execute("SELECT reference FROM shipments") if ref in wanted
        )
    sent: Counter[str] = Counter()
    parser = BytesHeaderParser()
    for path in mail.glob("*.eml"):
        headers = parser.parsebytes(path.read_bytes())
        if headers.get("X-Orderflow-Order") in wanted:
            sent[str(headers["Message-ID"])] += 1
    return {
        "orders": len(wanted),
        "captured_once": sum(captured[o] == 1 for o in wanted),
        "labelled_once": sum(labelled[o] == 1 for o in wanted),
        "emails": sum(sent.values()),
        "emails_sent_twice": sum(n > 1 for n in sent.values()),
    }


def _ms_per_order(cpu: dict[str, float], names: tuple[str, ...], count: int) -> float:
    return round(sum(cpu.get(n, 0.0) for n in names) / max(count, 1) * 1000, 1)


async def _stretch(bench: Bench, label: str, count: int, workers: tuple[str, ...]) -> dict:
    metrics = [bench.worker_metrics[name] for name in workers]
    sampler = Backlog(bench.client, metrics)
    sampling = asyncio.create_task(sampler.run())
    placed: list[str] = []
    measured = await bench.measure_orders(label, count, placed)
    sampler.stop()
    await sampling
    folder = bench.folder
    return {
        "workers": len(workers),
        "orders": count,
        "per_second": round(count / measured.wall, 3) if measured.wall else 0.0,
        "worker_cpu_ms_per_order": _ms_per_order(measured.cpu, workers, count),
        "engine_cpu_ms_per_order": _ms_per_order(measured.cpu, ("temporal", *workers), count),
        "task_queue": sampler.summary(),
        "side_effects": side_effects(folder / "sandbox.sqlite3", folder / "mail", placed),
    }


async def _pollers(client: Client) -> int:
    described = await _workflow_queue(client)
    return len({p.identity for p in described.pollers})


async def scale_out(bench: Bench, count: int) -> dict[str, Any]:
    """`count` orders on the stack's worker, then `count` more with a second worker."""
    assert bench.stack is not None
    one = await _stretch(bench, "1 worker", count, ("worker",))
    second = f"127.0.0.1:{free_port()}"
    bench.worker_metrics["worker 2"] = second
    bench.stack.spawn(
        "worker 2",
        bench.stack.commands["worker"],  # the same worker, on the same task queue
        None,
        env={"ORDERFLOW_WORKER_METRICS_ADDRESS": second},
    )
    deadline = time.monotonic() + 60
    while await _pollers(bench.client) < 2:
        if time.monotonic() > deadline:
            raise RuntimeError("the second worker never polled the task queue")
        await asyncio.sleep(0.5)
    try:
        two = await _stretch(bench, "2 workers", count, ("worker", "worker 2"))
    finally:
        await asyncio.to_thread(bench.stop_process, "worker 2", signal.SIGINT)
    return {
        "one_worker": one,
        "two_workers": two,
        "throughput_two_to_one": round(two["per_second"] / one["per_second"], 2)
        if one["per_second"]
        else None,
    }
