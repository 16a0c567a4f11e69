"""`make bench`: run the benchmarks, print the table, keep the figures as JSON."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.progress import run_with_progress
from bench.run import BenchConfig, run_bench
from bench.stats import GOALS, engine_ms, goal_figures, met
from runtime.devstack import ROOT


def target(goal: str, figures: dict[str, float | None]) -> str:
    """The goal, and whether this run met it."""
    sense, bound = GOALS[goal]
    verdict = {True: " met", False: " not met", None: ""}[met(goal, figures[goal])]
    return f"{sense} {bound:g}{verdict}"


def table(results: dict[str, Any]) -> Table:
    life, floor, hooks = results["lifecycle"], results["floor"], results["webhooks"]
    full, cost, rest = results["full_floor"], results["history"]["order"], results["at_rest"]
    figures = goal_figures(results)
    out = Table(title="orderflow benchmarks (ratios against baselines from this run)")
    for column in ("measure", "orderflow", "baseline", "ratio", "target"):
        out.add_column(column, justify="left" if column == "measure" else "right")
    out.add_row(
        "lifecycle orders/s (floor: same activities, signals, timers)",
        f"{life['per_second']:.2f}",
        f"{floor['per_second']:.2f}",
        f"{results['lifecycle_to_floor']:.2f}",
        "",
    )
    out.add_row(
        "lifecycle orders/s (full floor: also the upserts and update)",
        f"{life['per_second']:.2f}",
        f"{full['per_second']:.2f}",
        f"{results['lifecycle_to_full_floor']:.2f}",
        "",
    )
    out.add_row(
        "lifecycle latency p50 / p95 / p99 ms",
        f"{life['p50_ms']:.0f} / {life['p95_ms']:.0f} / {life['p99_ms']:.0f}",
        f"{floor['p50_ms']:.0f} / {floor['p95_ms']:.0f} / {floor['p99_ms']:.0f}",
        "",
        "",
    )
    ours, theirs = life["cpu_ms_per_order"], full["cpu_ms_per_order"]
    out.add_row(
        "worker CPU ms per order (full floor's worker)",
        f"{ours.get('worker', 0.0):.1f}",
        f"{theirs.get('floor', 0.0):.1f}",
        f"{figures['worker_cpu_to_floor']:.2f}",
        target("worker_cpu_to_floor", figures),
    )
    out.add_row(
        "engine CPU ms per order, Temporal + worker (full floor's / orderflow's)",
        f"{engine_ms(ours, 'worker'):.1f}",
        f"{engine_ms(theirs, 'floor'):.1f}",
        f"{figures['engine_cpu_to_full_floor']:.2f}",
        target("engine_cpu_to_full_floor", figures),
    )
    out.add_row(
        "history events per order (payload bytes; ratio: payload to the floor's)",
        f"{cost['events']} ({cost['payload_bytes']})",
        f"{results['history']['floor']['events']} ({results['history']['floor']['payload_bytes']})",
        f"{figures['payload_to_floor']:.2f}",
        f"events {target('events_per_order', figures)}; payload "
        f"{target('payload_to_floor', figures)}",
    )
    if results.get("scale_out") is not None:
        _scale_rows(out, results["scale_out"])
    if hooks is not None:
        _webhook_rows(out, hooks, figures)
    if rest is not None:
        _at_rest_row(out, rest)
    return out


def _scale_rows(out: Table, scale: dict[str, Any]) -> None:
    one, two = scale["one_worker"], scale["two_workers"]
    out.add_row(
        "scale-out orders/s: 2 workers (1 worker)",
        f"{two['per_second']:.2f}",
        f"{one['per_second']:.2f}",
        f"{scale['throughput_two_to_one']:.2f}",
        "",
    )
    out.add_row(
        "scale-out worker CPU ms per order: 2 workers (1 worker)",
        f"{two['worker_cpu_ms_per_order']:.1f}",
        f"{one['worker_cpu_ms_per_order']:.1f}",
        "",
        "",
    )
    effects = [s["side_effects"] for s in (one, two)]
    twice = sum(
        e["orders"] - min(e["captured_once"], e["labelled_once"]) + e["emails_sent_twice"]
        for e in effects
    )
    out.add_row(
        "scale-out: workflow backlog max (mean); orders not worked exactly once",
        f"{two['task_queue']['backlog_max']} ({two['task_queue']['backlog_mean']:g})",
        f"{one['task_queue']['backlog_max']} ({one['task_queue']['backlog_mean']:g})",
        "",
        f"{twice} of {sum(e['orders'] for e in effects)}",
    )


def _webhook_rows(out: Table, hooks: dict[str, Any], figures: dict[str, float | None]) -> None:
    out.add_row(
        "webhook intake /s (verify + inbox + 2xx)",
        f"{hooks['intake']['per_second']:.0f}",
        f"{hooks['bare']['per_second']:.0f}",
        f"{hooks['throughput_ratio']:.2f}",
        target("webhook_ratio", figures),
    )
    out.add_row(
        f"webhook p50 / p99 ms at {hooks['intake_at_rate']['offered_per_second']:.0f}/s",
        f"{hooks['intake_at_rate']['p50_ms']:.1f} / {hooks['intake_at_rate']['p99_ms']:.1f}",
        f"{hooks['bare_at_rate']['p50_ms']:.1f} / {hooks['bare_at_rate']['p99_ms']:.1f}",
        "",
        f"p99 {target('webhook_p99_ms', figures)}",
    )


def _at_rest_row(out: Table, rest: dict[str, Any]) -> None:
    evicted = rest.get("per_evicted_order_kb")
    out.add_row(
        f"worker memory, {rest['orders']} orders waiting on timers",
        f"{rest['per_cached_order_kb']} KB/cached order"
        + (f", {evicted} KB/evicted" if evicted is not None else ""),
        f"{rest['rss_mb']['0']} MB before",
        "",
        "",
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    defaults = BenchConfig()
    parser.add_argument("--orders", type=int, default=defaults.orders)
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency)
    parser.add_argument(
        "--webhook-seconds",
        type=float,
        default=defaults.webhook_seconds,
        help="seconds of each webhook measure (0 skips the webhook phase)",
    )
    parser.add_argument("--webhook-rate", type=float, default=defaults.webhook_rate)
    parser.add_argument(
        "--at-rest",
        type=int,
        default=defaults.at_rest,
        help="orders left waiting on timers (0 skips the at-rest phase)",
    )
    parser.add_argument(
        "--scale-orders",
        type=int,
        default=defaults.scale_orders,
        help="orders with one worker, then as many with two (0 skips the scale-out phase)",
    )
    parser.add_argument(
        "--sandbox",
        action=argparse.BooleanOptionalAction,
        default=defaults.workflow_sandbox,
        dest="workflow_sandbox",
        help="workers run workflow code in the SDK's sandbox (ORDERFLOW_WORKFLOW_SANDBOX; "
        "default: the setting's default)",
    )
    parser.add_argument(
        "--json", type=Path, default=ROOT / ".data" / "bench" / "results.json", dest="output"
    )
    args = parser.parse_args()
    config = BenchConfig(
        orders=args.orders,
        concurrency=args.concurrency,
        webhook_seconds=args.webhook_seconds,
        webhook_rate=args.webhook_rate,
        at_rest=args.at_rest,
        scale_orders=args.scale_orders,
        workflow_sandbox=args.workflow_sandbox,
    )
    console = Console(width=max(Console().width, 110))
    results = run_with_progress(console, lambda advance: run_bench(config, advance))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2))
    console.print(table(results))
    console.print(f"figures kept in {args.output}")


if __name__ == "__main__":
    main()
