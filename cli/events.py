"""`orderflow events …`: the merchant's event endpoints, their dead letters and replays."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from cli.api import api_of, out

app = typer.Typer(help="Events out: endpoints, parked events, replays.", no_args_is_help=True)


@app.command("endpoints")
def endpoints(ctx: typer.Context) -> None:
    """Every endpoint: its URL, status and the event types it gets."""
    api = api_of(ctx)
    page = api.call("GET", "/v1/ops/event-endpoints")
    if api.show(page):
        return
    table = Table("endpoint", "status", "url", "types")
    for row in page["items"]:
        table.add_row(row["endpoint_id"], row["status"], row["url"], " ".join(row["event_types"]))
    out.print(table)


@app.command("create")
def create(
    ctx: typer.Context,
    url: str,
    types: Annotated[list[str], typer.Option("--type", help="an event type it gets")],
    personal_data: Annotated[bool, typer.Option(help="events carry e-mail and address")] = False,
) -> None:
    """A new endpoint; its signing secret is shown once."""
    api = api_of(ctx)
    made = api.call(
        "POST",
        "/v1/ops/event-endpoints",
        json={"url": url, "event_types": types, "personal_data": personal_data},
    )
    api.show(made) or out.print(f"{made['endpoint_id']}  secret (shown once): {made['secret']}")


def _status(ctx: typer.Context, endpoint_id: str, status: str) -> None:
    api = api_of(ctx)
    done = api.call("PATCH", f"/v1/ops/event-endpoints/{endpoint_id}", json={"status": status})
    api.show(done) or out.print(f"{endpoint_id}: {done['status']}")


@app.command("pause")
def pause(ctx: typer.Context, endpoint_id: str) -> None:
    """Hold deliveries to it; events keep being queued for it."""
    _status(ctx, endpoint_id, "paused")


@app.command("resume")
def resume(ctx: typer.Context, endpoint_id: str) -> None:
    _status(ctx, endpoint_id, "active")


@app.command("rotate")
def rotate(ctx: typer.Context, endpoint_id: str) -> None:
    """A new signing secret; the old one signs beside it for the overlap."""
    api = api_of(ctx)
    done = api.call("POST", f"/v1/ops/event-endpoints/{endpoint_id}/rotate-secret")
    api.show(done) or out.print(
        f"new secret: {done['secret']}  (the old one valid until {done['previous_valid_until']})"
    )


@app.command("parked")
def parked(ctx: typer.Context, endpoint_id: str) -> None:
    """The endpoint's dead letters, oldest first."""
    api = api_of(ctx)
    page = api.call("GET", f"/v1/ops/event-endpoints/{endpoint_id}/parked")
    if api.show(page):
        return
    table = Table("event", "type", "order", "at", "tries", "why")
    for row in page["items"]:
        table.add_row(
            row["event_id"],
            row["type"],
            row["stream"],
            row["at"],
            str(row["attempts"]),
            row["last_error"] or "",
        )
    out.print(table)


@app.command("replay")
def replay(
    ctx: typer.Context,
    endpoint_id: str,
    event: Annotated[str | None, typer.Option(help="only this event")] = None,
    since: Annotated[datetime | None, typer.Option(help="events from this time")] = None,
    until: Annotated[datetime | None, typer.Option(help="events before this time")] = None,
) -> None:
    """Send parked events again, in order: one, a time range, or all of them."""
    api = api_of(ctx)
    body = {
        "event_id": event,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
    }
    done = api.call("POST", f"/v1/ops/event-endpoints/{endpoint_id}/replay", json=body)
    api.show(done) or out.print(f"{endpoint_id}: {done['replayed']} event(s) sent again")
