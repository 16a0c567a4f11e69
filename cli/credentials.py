"""`orderflow operators`: one credential per operator, straight in PostgreSQL (run where the
database is reachable, as whoever administers the shop)."""

from __future__ import annotations

import getpass
from typing import Any

import typer
from rich.table import Table

from cli.api import err, out
from cli.database import with_database
from store import operators

app = typer.Typer(help="Create, list and revoke operators' credentials.", no_args_is_help=True)


@app.command()
def create(name: str) -> None:
    """A new credential for NAME, printed once: only its hash is kept."""
    try:
        secret = with_database(lambda pool: operators.create(pool, name, getpass.getuser()))
    except operators.OperatorExists:
        err.print(f"[red]{name} already has a credential[/]: revoke it first")
        raise typer.Exit(1) from None
    out.print(f"credential for {name} (shown once):")
    print(secret)


@app.command()
def revoke(name: str) -> None:
    """Revoke NAME's credential at once."""
    if not with_database(lambda pool: operators.revoke(pool, name)):
        err.print(f"[red]{name} has no live credential[/]")
        raise typer.Exit(1)
    out.print(f"{name}: revoked")


@app.command("list")
def list_operators() -> None:
    """Operators, when their credential was made and last used, and whether it is revoked."""
    rows: list[dict[str, Any]] = with_database(operators.all_operators)
    table = Table("name", "key", "created", "by", "last used", "revoked")
    for row in rows:
        table.add_row(
            row["name"],
            f"{operators.PREFIX}{row['key_prefix']}_…",
            *(
                str(row[k] or "")[:16]
                for k in ("created_at", "created_by", "last_used_at", "revoked_at")
            ),
        )
    out.print(table)
