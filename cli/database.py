"""`orderflow migrate`: the database schema brought up to date, as a step of its own (a
deployment's migrations job, before new workers and API replicas roll out). Every process
also applies what is missing when it starts, under the same lock, so running both is safe."""

from __future__ import annotations

import asyncio

from cli.api import cli_settings, out
from store.db import create_pool, migrate


async def _migrate(dsn: str) -> list[str]:
    pool = await create_pool(dsn, max_size=1)
    try:
        return await migrate(pool)
    finally:
        await pool.close()


def migrate_schema() -> None:
    """Apply the database migrations not applied yet, then exit (0 when the schema is up to
    date)."""
    applied = asyncio.run(_migrate(cli_settings().database_url))
    out.print(
        f"migrations applied: {', '.join(applied)}" if applied else "the schema is up to date"
    )
