"""`make chaos`: the chaos run, its report as a table, the figures kept as JSON; exit status 1
when any check failed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.progress import run_with_progress
from chaos.run import ChaosConfig, run_chaos
from runtime.devstack import ROOT


def table(report: dict[str, Any]) -> Table:
    out = Table(title=f"orderflow chaos run: {'PASSED' if report['passed'] else 'FAILED'}")
    out.add_column("check")
    out.add_column("result", justify="right")
    orders, money, chaos = report["orders"], report["money"], report["chaos"]
    timing, hooks = report["timing"], report["webhooks"]
    recovery = timing["temporal_recovery"]
    rows = [
        ("orders in their expected state", f"{orders['reached']} / {orders['total']}"),
        ("stuck orders", str(len(report["stuck"]))),
        ("captures / refunds (provider)", f"{money['captures']} / {money['refunds']}"),
        (
            "double captures / double refunds",
            f"{money['double_captures']} / {money['double_refunds']}",
        ),
        ("ledger against provider mismatches", str(len(money["mismatches"]))),
        ("refunds refused by the provider", str(money["refunds_refused"])),
        ("ledger rows left pending", str(len(money["pending"]))),
        ("authorisations left open at the provider", str(len(money["open_at_provider"]))),
        ("orders failed (failed workflows)", str(len(report["failed_workflows"]))),
        ("non-determinism errors", str(report["determinism"]["errors"])),
        ("webhooks sent / received", f"{hooks['sent_by_provider']} / {hooks['received']}"),
        (
            "webhooks sent twice / out of order",
            f"{hooks['sent_twice']} / {hooks['sent_out_of_order']}",
        ),
        (
            "webhooks not delivered / not relayed",
            f"{hooks['not_delivered']} / {hooks['not_relayed_count']}",
        ),
        ("worker kills (kill -9)", str(chaos["worker_kills"])),
        (
            "provider faults armed / fired",
            f"{chaos['faults_armed']} / {chaos['faults_fired_total']}",
        ),
        (
            "PostgreSQL restart / SMTP outage (s down)",
            f"{chaos['postgres_down_seconds']} / {chaos['smtp_down_seconds']}",
        ),
        (
            "Temporal restart: down / first progress / backlog relayed (s)",
            f"{recovery.get('down_seconds')} / {recovery.get('first_progress_seconds')}"
            f" / {recovery.get('backlog_relayed_seconds')}",
        ),
        ("driven / settled (s)", f"{timing['driven_seconds']} / {timing['settled_seconds']}"),
    ]
    for check, result in rows:
        out.add_row(check, result)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="make chaos", description=__doc__)
    defaults = ChaosConfig()
    parser.add_argument("--orders", type=int, default=defaults.orders)
    parser.add_argument(
        "--rate", type=float, default=defaults.rate, help="orders placed per second"
    )
    parser.add_argument(
        "--tail-seconds",
        type=float,
        default=defaults.tail_seconds,
        help="how long the chaos goes on after the last order was placed",
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--hold-seconds",
        type=float,
        default=defaults.hold_seconds,
        help="the held merchant's dispatch cut-off, after the stack started",
    )
    parser.add_argument(
        "--smtp-down-seconds",
        type=float,
        default=defaults.smtp_down_seconds,
        help="how long the SMTP server is down, once, during the run",
    )
    parser.add_argument(
        "--json", type=Path, default=ROOT / ".data" / "chaos" / "report.json", dest="output"
    )
    args = parser.parse_args()
    config = ChaosConfig(
        orders=args.orders,
        rate=args.rate,
        tail_seconds=args.tail_seconds,
        seed=args.seed,
        hold_seconds=args.hold_seconds,
        smtp_down_seconds=args.smtp_down_seconds,
    )
    console = Console(width=max(Console().width, 100))
    report = run_with_progress(console, lambda advance: run_chaos(config, advance))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, default=str))
    console.print(table(report))
    for order in report["stuck"][:20]:
        console.print(f"stuck: {json.dumps(order, default=str)}")
    for line in report["money"]["mismatches"][:20]:
        console.print(f"money: {line}")
    console.print(f"seed {report['config']['seed']}; report kept in {args.output}")
    sys.exit(0 if report["passed"] else 1)


if __name__ == "__main__":
    main()
