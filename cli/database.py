"""The database for the commands that work on it directly, and `orderflow migrate`: the
schema brought up to date as a step of its own (a deployment's migrations job, before new
workers and API replicas roll out). Every process also applies what is missing when it
starts, under the same lock, so running both is safe."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

from cli.api import cli_settings, out
from store.db import create_pool, migrate

T = TypeVar("T")


def with_database(work: Callable[[asyncpg.Pool], Awaitable[T]], *, migrated: bool = True) -> T:
    """`work` on a pool of the settings' database, its schema brought up to date first
    (unless `migrated` is False: the work is the migration)."""

    async def run() -> T:
        pool = await create_pool(cli_settings().database_url, max_size=2)
        try:
            if migrated:
                await migrate(pool)
            return await work(pool)
        finally:
            await pool.close()

    return asyncio.run(run())


def migrate_schema() -> None:
    """Apply the database migrations not applied yet, then exit (0 when the schema is up to
    date)."""
    applied = with_database(migrate, migrated=False)
    out.print(
        f"migrations applied: {', '.join(applied)}" if applied else "the schema is up to date"
    )
