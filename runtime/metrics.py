"""The worker's Prometheus endpoint: the Temporal SDK's own runtime metrics (workflow and
activity task latencies, pollers, sticky cache, failures) and orderflow's business gauges,
read from PostgreSQL on an interval, through the same SDK meter and the same endpoint."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import asyncpg
import structlog
from temporalio.common import MetricMeter

from store.metrics import Snapshot, snapshot

log = structlog.get_logger("orderflow.metrics")


class _Labelled:
    """A gauge whose label values come and go: one no longer reported is set to 0, so a
    dashboard never shows a stale count."""

    def __init__(self, meter: MetricMeter, name: str, description: str, labels: tuple[str, ...]):
        self.gauge = meter.create_gauge(name, description)
        self.labels = labels
        self.seen: set[tuple[str, ...]] = set()

    def update(self, values: Iterable[tuple[tuple[str, ...], int]]) -> None:
        current = dict(values)
        for key in self.seen - current.keys():
            current[key] = 0
        for key, value in current.items():
            self.gauge.set(value, dict(zip(self.labels, key, strict=True)))
        self.seen |= current.keys()


class BusinessMetrics:
    def __init__(self, meter: MetricMeter, pool: asyncpg.Pool, every: float) -> None:
        self.pool, self.every = pool, every
        self.orders = _Labelled(meter, "orderflow_orders", "Orders by status", ("status",))
        self.movements = _Labelled(
            meter,
            "orderflow_payment_movements",
            "Authorisations, captures, voids and refunds by outcome",
            ("movement", "outcome"),
        )
        self.pending = meter.create_gauge(
            "orderflow_webhooks_pending", "Webhooks kept and not yet relayed to their workflow"
        )
        self.unmatched = meter.create_gauge(
            "orderflow_webhooks_unmatched", "Webhooks that match no order, waiting for operators"
        )
        self.oldest = meter.create_gauge_float(
            "orderflow_webhooks_oldest_pending_seconds",
            "Age of the oldest webhook not yet relayed",
            "s",
        )
        self.overdue = _Labelled(
            meter,
            "orderflow_operator_tasks_overdue",
            "Open operator tasks past their due time",
            ("kind",),
        )

    def record(self, now: Snapshot) -> None:
        self.orders.update(((status,), n) for status, n in now.orders.items())
        self.movements.update(now.movements.items())
        self.pending.set(now.webhooks_pending)
        self.unmatched.set(now.webhooks_unmatched)
        self.oldest.set(now.oldest_pending_seconds)
        self.overdue.update(((kind,), n) for kind, n in now.tasks_overdue.items())

    async def run(self) -> None:
        while True:
            try:
                self.record(await snapshot(self.pool))
            except (OSError, asyncpg.PostgresError) as err:
                log.warning("business metrics not refreshed", error=type(err).__name__)
            await asyncio.sleep(self.every)
