"""`orderflow orders edit` and `orderflow orders cancel-lines`: an operator changes what an
order bought, or cancels some of its lines, through the API (a raise waits for the
customer's approval)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cli.api import api_of, out


def _line(spec: str) -> dict[str, Any]:
    """`SKU:name:quantity:unit price[:category]` as an order line."""
    parts = spec.split(":")
    if len(parts) not in (4, 5):
        raise typer.BadParameter(f"{spec!r}: give SKU:name:quantity:unit price[:category]")
    line: dict[str, Any] = {
        "sku": parts[0],
        "name": parts[1],
        "quantity": int(parts[2]),
        "unit_price": parts[3],
    }
    if len(parts) == 5:
        line["category"] = parts[4]
    return line


def _changes(
    quantities: list[str], removed: list[str], added: list[str], swapped: list[str]
) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    for spec in quantities:
        sku, _, n = spec.partition("=")
        if not n.isdigit():
            raise typer.BadParameter(f"{spec!r}: give SKU=quantity")
        changes.append({"op": "set_quantity", "sku": sku, "quantity": int(n)})
    changes += [{"op": "remove", "sku": sku} for sku in removed]
    changes += [{"op": "add", "line": _line(spec)} for spec in added]
    for spec in swapped:
        old, _, new = spec.partition("=")
        changes.append({"op": "swap", "sku": old, "line": _line(new)})
    if not changes:
        raise typer.BadParameter("give at least one of --set, --remove, --add, --swap")
    return changes


def edit(
    ctx: typer.Context,
    order_id: str,
    quantities: Annotated[
        list[str], typer.Option("--set", help="SKU=quantity: a line's new quantity")
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    removed: Annotated[list[str], typer.Option("--remove", help="SKU: the line goes")] = [],  # noqa: B006
    added: Annotated[
        list[str], typer.Option("--add", help="SKU:name:quantity:unit price[:category]")
    ] = [],  # noqa: B006
    swapped: Annotated[
        list[str], typer.Option("--swap", help="OLD=SKU:name:quantity:unit price[:category]")
    ] = [],  # noqa: B006
    preview: Annotated[bool, typer.Option(help="show what it would do; change nothing")] = False,
    key: Annotated[str | None, typer.Option(help="Idempotency-Key: sent twice, one edit")] = None,
) -> None:
    """Change an order's lines within its edit window: the new total and the money that moves.
    A raise waits for the customer's approval."""
    api = api_of(ctx)
    body = {"changes": _changes(quantities, removed, added, swapped)}
    path = f"/v1/orders/{order_id}/edits" + ("/preview" if preview else "")
    done = api.call("POST", path, json=body, headers={"Idempotency-Key": key} if key else {})
    if api.show(done):
        return
    diff = done["difference"]
    out.print(
        f"{order_id}: {done['status']}  total {done['previous_total']['amount']} → "
        f"{done['total']['amount']} {done['total']['currency']}  "
        f"({diff['amount']} {diff['currency']}, {done['settlement']})"
    )
    for line in done["lines"]:
        out.print(f"  {line['quantity']} × {line['sku']} {line['name']} at {line['unit_price']}")
    if done.get("approve_by"):
        out.print(f"  waits for the customer's approval until {done['approve_by']}")


def cancel_lines(
    ctx: typer.Context,
    order_id: str,
    lines: Annotated[list[str], typer.Argument(help="SKU or SKU=quantity, each to cancel")],
    key: Annotated[str | None, typer.Option(help="Idempotency-Key")] = None,
) -> None:
    """Cancel some of an order's lines before the carrier collects them: refunded by the
    policy's band for those lines."""
    api = api_of(ctx)
    asked = []
    for spec in lines:
        sku, _, n = spec.partition("=")
        asked.append({"sku": sku, **({"quantity": int(n)} if n else {})})
    done = api.call(
        "POST",
        f"/v1/orders/{order_id}/lines/cancel",
        json={"lines": asked},
        headers={"Idempotency-Key": key} if key else {},
    )
    if api.show(done):
        return
    refund = done["refund"]
    out.print(
        f"{order_id}: {refund['amount']} {refund['currency']} refunded ({done['settlement']})"
    )
