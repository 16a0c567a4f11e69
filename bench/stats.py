"""The arithmetic of the benchmarks: percentiles, rates, and what a history costs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from google.protobuf.message import Message
from temporalio.client import WorkflowHistory


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by the nearest-rank method; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    return {
        "count": len(seconds),
        "p50_ms": round(percentile(seconds, 50) * 1000, 1),
        "p95_ms": round(percentile(seconds, 95) * 1000, 1),
        "p99_ms": round(percentile(seconds, 99) * 1000, 1),
    }


def ratio(measured: float, baseline: float) -> float:
    return round(measured / baseline, 3) if baseline else 0.0


def _payload_bytes(message: Message) -> int:
    """The bytes of every Payload inside a protobuf message, however deeply nested."""
    total = 0
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if isinstance(value, Message):
            items: Any = [value]
        elif field.message_type.GetOptions().map_entry:
            items = value.values()
        else:
            items = value
        for item in items:
            if not isinstance(item, Message):
                continue
            if item.DESCRIPTOR.name == "Payload":
                total += len(item.data)  # type: ignore[attr-defined]
            else:
                total += _payload_bytes(item)
    return total


def history_cost(history: WorkflowHistory) -> dict[str, Any]:
    """Events, payload bytes and the counts a like-for-like engine floor must reproduce."""
    kinds: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    payload = local = 0
    for event in history.events:
        kind = event.WhichOneof("attributes") or ""
        kinds[kind] = kinds.get(kind, 0) + 1
        size = _payload_bytes(event)
        payload += size
        short = kind.removesuffix("_event_attributes")
        by_kind[short] = by_kind.get(short, 0) + size
        if kind == "marker_recorded_event_attributes":
            local += event.marker_recorded_event_attributes.marker_name == "core_local_activity"
    return {
        "events": len(history.events),
        "payload_bytes": payload,
        "activities": kinds.get("activity_task_scheduled_event_attributes", 0),
        "local_activities": local,
        "signals": kinds.get("workflow_execution_signaled_event_attributes", 0),
        "timers": kinds.get("timer_started_event_attributes", 0),
        "updates": kinds.get("workflow_execution_update_accepted_event_attributes", 0),
        "upserts": kinds.get("upsert_workflow_search_attributes_event_attributes", 0),
        # where the payload bytes are, by kind of event, largest first
        "payload_bytes_by_event": dict(
            sorted(((k, v) for k, v in by_kind.items() if v), key=lambda kv: -kv[1])
        ),
    }


# The goals the bench is read against, fixed before any run (docs/performance.md): the
# worker near the engine's floor, a compact history, a webhook door near the bare endpoint.
GOALS: dict[str, tuple[str, float]] = {
    "worker_cpu_to_floor": ("<=", 1.2),
    "engine_cpu_to_full_floor": (">=", 0.9),
    "events_per_order": ("<=", 56),
    "payload_to_floor": ("<=", 2.0),
    "webhook_ratio": (">=", 0.8),
    "webhook_p99_ms": ("<=", 20.0),
}


def engine_ms(cpu_ms_per_order: dict[str, float], worker: str) -> float:
    """CPU per order on the engine side: the Temporal server and the named worker process."""
    return cpu_ms_per_order.get("temporal", 0.0) + cpu_ms_per_order.get(worker, 0.0)


def goal_figures(results: dict[str, Any]) -> dict[str, float | None]:
    """Each goal's figure from one run's results (None where the run did not measure it).
    CPU per order: the lifecycle's worker against the full floor's (the same history shape),
    and the engine side (Temporal and the worker) of the full floor over the lifecycle's."""
    life = results["lifecycle"]["cpu_ms_per_order"]
    floor = results["full_floor"]["cpu_ms_per_order"]
    history, hooks = results["history"], results.get("webhooks")
    return {
        "worker_cpu_to_floor": ratio(life.get("worker", 0.0), floor.get("floor", 0.0)),
        "engine_cpu_to_full_floor": ratio(engine_ms(floor, "floor"), engine_ms(life, "worker")),
        "events_per_order": history["order"]["events"],
        "payload_to_floor": ratio(
            history["order"]["payload_bytes"], history["floor"]["payload_bytes"]
        ),
        "webhook_ratio": hooks["throughput_ratio"] if hooks else None,
        "webhook_p99_ms": hooks["intake_at_rate"]["p99_ms"] if hooks else None,
    }


def met(goal: str, figure: float | None) -> bool | None:
    """Whether `figure` meets the goal (None when not measured)."""
    if figure is None:
        return None
    sense, bound = GOALS[goal]
    return figure <= bound if sense == "<=" else figure >= bound
