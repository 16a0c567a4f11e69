"""`orderflow policy …`: a merchant's preset checked before it is used, and a change to it
tried on the open orders before it is made."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.api import api_of, out
from domain.calendar import pin_calendar
from domain.policy import (
    PRESETS_DIR,
    Finding,
    check_preset,
    clause_catalogue,
    errors,
    load_presets,
)

app = typer.Typer(help="Check a preset; try a change on live orders.", no_args_is_help=True)


@app.command("check")
def check(
    file: Path,
    clauses: Annotated[
        Path | None,
        typer.Option(help="the clause digest (POLICIES.md): every clause ID must be in it"),
    ] = None,
) -> None:
    """Validate a preset: its TOML and schema, settings against clauses, the clause IDs it
    names, and the holiday calendar it pins. Exit 1 with each problem's field."""
    if clauses is not None:
        known, strict = clause_catalogue(clauses.read_text(encoding="utf-8")), True
    else:  # without a digest, an ID no shipped preset names is worth a look, not an error
        known = {c for p in load_presets(PRESETS_DIR).values() for c in p.clause_ids()}
        strict = False
    policy, findings = check_preset(
        file.stem, file.read_text(encoding="utf-8"), known, strict_known=strict
    )
    if policy is not None:
        try:
            pin_calendar(policy, datetime.now(UTC))
        except (KeyError, NotImplementedError, ValueError) as err:
            findings.append(Finding(field="calendar.holidays_country", message=str(err)))
    for finding in findings:
        out.print(f"{finding.severity}: {finding}")
    if policy is None or errors(findings):
        raise typer.Exit(1)
    out.print(f"ok: {policy.merchant} {policy.version}, {len(policy.clause_ids())} clauses")


@app.command("what-if")
def what_if(
    ctx: typer.Context,
    file: Path,
    against: Annotated[str, typer.Option(help="the merchant whose open orders it is tried on")],
    since: Annotated[datetime | None, typer.Option(help="orders placed from then on")] = None,
) -> None:
    """Which decisions on the open orders would change under this preset, and the money."""
    api = api_of(ctx)
    body = {
        "preset": file.read_text(encoding="utf-8"),
        "against": against,
        "placed_since": since.isoformat() if since else None,
    }
    report = api.call("POST", "/v1/ops/policy/what-if", json=body)
    if api.show(report):
        return
    out.print(
        f"{report['orders']} open orders of {report['merchant']}: "
        f"{report['version_now']} → {report['version_new']}"
    )
    table = Table("decision", "orders", "changed", "money", "for example")
    for row in report["decisions"]:
        money = " ".join(f"{v} {k}" for k, v in row["money"].items())
        example = row["examples"][0] if row["examples"] else None
        shown = (
            f"{example['order_id']}: {example['before']} → {example['after']}" if example else ""
        )
        table.add_row(row["decision"], str(row["orders"]), str(row["changed"]), money, shown)
    out.print(table)
