"""The `orderflow` command: `orderflow --help` lists what it does."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.table import Table

from cli import credentials, database, demo, edits, events, policy
from cli.api import Api, api_of, cli_settings, configured, out

app = typer.Typer(
    help="Work orders from the terminal: find and show orders, work the task list, review, "
    "approve, inspect, refund, requeue webhooks, set stock, manage operators' credentials.",
    no_args_is_help=True,
)
orders = typer.Typer(
    help="Find and show orders, edit their lines, cancel some.", no_args_is_help=True
)
returns = typer.Typer(help="Approve, reject and inspect returns.", no_args_is_help=True)
webhooks = typer.Typer(help="Webhooks no order could take.", no_args_is_help=True)
stock = typer.Typer(help="Units available per SKU.", no_args_is_help=True)
orders.command("edit")(edits.edit)
orders.command("cancel-lines")(edits.cancel_lines)
app.add_typer(orders, name="orders")
app.add_typer(returns, name="returns")
app.add_typer(webhooks, name="webhooks")
app.add_typer(stock, name="stock")
app.add_typer(credentials.app, name="operators")
app.add_typer(events.app, name="events")
app.add_typer(policy.app, name="policy")
app.command(name="demo")(demo.demo)
app.command(name="migrate")(database.migrate_schema)


@app.callback()
def main(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option(envvar="ORDERFLOW_API_URL", help="the API (default: the public base URL)"),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(
            envvar="ORDERFLOW_OPERATOR_KEY",
            help="your operator credential (`orderflow operators create`); the shared "
            "development key when unset",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the API's JSON")] = False,
) -> None:
    ctx.obj = Api(
        url=(url or cli_settings().public_base_url).rstrip("/"),
        credential=key or configured("ORDERFLOW_OPERATOR_API_KEY", "operator_api_key"),
        as_json=as_json,
    )


def money(value: dict[str, str] | None) -> str:
    return f"{value['amount']} {value['currency']}" if value else ""


def when(value: str | None) -> str:
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M") if value else ""


def order_table(items: list[dict[str, Any]]) -> Table:
    table = Table("order", "merchant", "shop ref", "status", "total", "parcels", "placed")
    table.columns[0].no_wrap = True  # operators copy it whole
    for o in items:
        parcels = ", ".join(f"{p['carrier']} {p['tracking_number']}" for p in o["parcels"])
        table.add_row(
            o["order_id"],
            o["merchant"],
            o["external_reference"] or "",
            o["status"],
            money(o["total"]),
            parcels,
            when(o["placed_at"]),
        )
    return table


Filter = Annotated[str | None, typer.Option()]


@orders.command("list")
def list_orders(
    ctx: typer.Context,
    status: Annotated[list[str] | None, typer.Option(help="repeat for several")] = None,
    merchant: Filter = None,
    payment_method: Filter = None,
    carrier: Filter = None,
    reference: Annotated[str | None, typer.Option(help="the shop's order number")] = None,
    tracking: Annotated[str | None, typer.Option(help="a parcel's tracking number")] = None,
    customer: Annotated[str | None, typer.Option(help="e-mail or customer reference")] = None,
    placed_from: Annotated[str | None, typer.Option(help="ISO time with offset")] = None,
    placed_to: Annotated[str | None, typer.Option(help="ISO time with offset")] = None,
    limit: int = 50,
    cursor: Annotated[str | None, typer.Option(help="next_cursor of the page before")] = None,
) -> None:
    """Orders matching every filter, newest first."""
    api = api_of(ctx)
    params = {
        "status": status,
        "merchant": merchant,
        "payment_method": payment_method,
        "carrier": carrier,
        "external_reference": reference,
        "tracking_number": tracking,
        "customer": customer,
        "placed_from": placed_from,
        "placed_to": placed_to,
        "limit": limit,
        "cursor": cursor,
    }
    page = api.call("GET", "/v1/ops/orders", params={k: v for k, v in params.items() if v})
    if api.show(page):
        return
    out.print(order_table(page["items"]))
    if page["next_cursor"]:
        out.print(f"more: --cursor {page['next_cursor']}")


@app.command()
def search(ctx: typer.Context, text: str) -> None:
    """Find orders by whatever is at hand: an order ID, the shop's order number, a tracking
    number or the customer's e-mail."""
    api = api_of(ctx)
    tries = (
        [{"customer": text}]
        if "@" in text
        else [{"external_reference": text}, {"tracking_number": text}]
    )
    found: list[dict[str, Any]] = []
    for params in tries:
        found = api.call("GET", "/v1/ops/orders", params=params)["items"]
        if found:
            break
    if not found:
        with api.client() as client:
            if client.get(f"/v1/orders/{text}").status_code == 200:
                return show_order(ctx, text)
    if api.show({"items": found}):
        return
    out.print(order_table(found) if found else f"nothing found for {text!r}")


@orders.command("show")
def show_order(ctx: typer.Context, order_id: str) -> None:
    """One order: amounts, parcels, deadlines, payments and its timeline with the clauses."""
    api = api_of(ctx)
    order = api.call("GET", f"/v1/orders/{order_id}")
    if api.show(order):
        return
    out.print(
        f"[bold]{order['order_id']}[/] {order['merchant']} "
        f"{order.get('external_reference') or ''}  [bold]{order['status']}[/]  "
        f"{money(order['amounts']['total'])}  placed {when(order['placed_at'])}"
    )
    for name, value in sorted(order["deadlines"].items()):
        out.print(f"  {name.replace('_', ' ')}: {when(value) if value else '-'}")
    for parcel in order["shipments"]:
        out.print(f"  parcel {parcel['carrier']} {parcel['tracking_number']}: {parcel['status']}")
    for move in order["payments"]:
        out.print(f"  {move['movement']} {money(move['amount'])}: {move['status']}")
    table = Table("at", "what", "status", "clauses")
    for event in order["timeline"]:
        table.add_row(
            when(event["at"]),
            event["summary"],
            event["status"] or "",
            " ".join(event["clauses"]),
        )
    out.print(table)


@app.command()
def tasks(ctx: typer.Context, limit: int = 50) -> None:
    """Everything waiting on a person, the most urgent first, with the action to take."""
    api = api_of(ctx)
    page = api.call("GET", "/v1/ops/tasks", params={"limit": limit})
    if api.show(page):
        return
    table = Table("due", "kind", "order / subscription", "summary", "action")
    for task in page["items"]:
        due = when(task["due_at"]) + (" [red]overdue[/]" if task["overdue"] else "")
        action = task.get("action") or {}
        table.add_row(
            due,
            task["kind"],
            task["order_id"] or task["subscription_id"] or "",
            task["summary"],
            f"{action.get('method', '')} {action.get('path', '')}",
        )
    out.print(table)


@app.command()
def review(
    ctx: typer.Context,
    order_id: str,
    verdict: Annotated[str, typer.Argument(help="approve, reject or require_invoice")],
    note: str = "",
) -> None:
    """Decide an order held for fraud review."""
    api = api_of(ctx)
    done = api.call(
        "POST", f"/v1/ops/orders/{order_id}/fraud-review", json={"verdict": verdict, "note": note}
    )
    api.show(done) or out.print(f"{order_id}: {done['status']} ({' '.join(done['clauses'])})")


@app.command()
def refund(
    ctx: typer.Context,
    order_id: str,
    amount: Decimal,
    reason: Annotated[str, typer.Option(help="why, kept with the refund")],
    key: Annotated[
        str | None, typer.Option(help="Idempotency-Key: sent twice, refunds once")
    ] = None,
) -> None:
    """Give money back on an order, up to what is still refundable."""
    api = api_of(ctx)
    done = api.call(
        "POST",
        f"/v1/ops/orders/{order_id}/refunds",
        json={"amount": str(amount), "reason": reason},
        headers={"Idempotency-Key": key} if key else {},
    )
    api.show(done) or out.print(
        f"refunded {money(done['amount'])} on {order_id} "
        f"(total {money(done['refunded_total'])}, by {done['operator']})"
    )


@returns.command("approve")
def approve_return(ctx: typer.Context, rma_id: str, note: str = "") -> None:
    """Approve a return that needs prior approval."""
    _review_return(ctx, rma_id, True, note)


@returns.command("reject")
def reject_return(ctx: typer.Context, rma_id: str, note: str = "") -> None:
    """Reject a return that needs prior approval."""
    _review_return(ctx, rma_id, False, note)


def _review_return(ctx: typer.Context, rma_id: str, approve: bool, note: str) -> None:
    api = api_of(ctx)
    done = api.call(
        "POST", f"/v1/ops/returns/{rma_id}/review", json={"approve": approve, "note": note}
    )
    api.show(done) or out.print(f"{rma_id}: {done['status']}")


@returns.command("inspect")
def inspect_return(
    ctx: typer.Context,
    rma_id: str,
    ok: Annotated[list[str] | None, typer.Option(help="a SKU found acceptable")] = None,
    refused: Annotated[list[str] | None, typer.Option(help="a SKU found not acceptable")] = None,
    note: str = "",
) -> None:
    """Record what inspection found, line by line; answered with the refund or replacement."""
    lines = [{"sku": s, "acceptable": True} for s in ok or []] + [
        {"sku": s, "acceptable": False} for s in refused or []
    ]
    api = api_of(ctx)
    done = api.call(
        "POST", f"/v1/ops/returns/{rma_id}/inspection", json={"lines": lines, "note": note}
    )
    api.show(done) or out.print(f"{rma_id}: {done['status']}")


@webhooks.command("unmatched")
def unmatched(ctx: typer.Context, limit: int = 100, cursor: str | None = None) -> None:
    """Webhooks kept because no order workflow could take them."""
    api = api_of(ctx)
    params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
    page = api.call("GET", "/v1/ops/webhooks/unmatched", params=params)
    if api.show(page):
        return
    table = Table("id", "provider", "event", "order", "received", "why")
    for row in page["items"]:
        table.add_row(
            str(row["id"]),
            row["provider"],
            row["event_type"],
            row["order_id"] or "",
            when(row["received_at"]),
            row["last_error"] or "",
        )
    out.print(table)


@webhooks.command("requeue")
def requeue(ctx: typer.Context, inbox_id: int) -> None:
    """Send an unmatched webhook through the relay again."""
    api = api_of(ctx)
    done = api.call("POST", f"/v1/ops/webhooks/{inbox_id}/requeue")
    api.show(done) or out.print(f"requeued {inbox_id}")


@stock.command("set")
def set_stock(ctx: typer.Context, merchant: str, sku: str, available: int) -> None:
    """Set the units available of a SKU (replacements are reserved from it)."""
    api = api_of(ctx)
    done = api.call("PUT", f"/v1/ops/stock/{merchant}/{sku}", json={"available": available})
    api.show(done) or out.print(f"{merchant} {sku}: {done['available']} available")


if __name__ == "__main__":
    app()
