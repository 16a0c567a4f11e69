"""One asyncpg pool per process, with JSON codecs; migrations applied under an advisory lock."""

from __future__ import annotations

import json
from importlib import resources

import asyncpg
import structlog

log = structlog.get_logger(__name__)

# Any constant shared by every orderflow process; it serialises concurrent migrators.
_MIGRATION_LOCK = 0x0D0E_F10A

# PostgreSQL away (restarting, unreachable, its connections cut): a repeat shortly after is
# answered. A connection cut in the middle of a statement can leave asyncpg's protocol half-way
# (`InternalClientError`, "cannot switch to state"); the pool replaces that connection.
DATABASE_AWAY: tuple[type[Exception], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
)


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typename in ("json", "jsonb"):
        await conn.set_type_codec(
            typename,
            encoder=lambda v: json.dumps(v, default=str),
            decoder=json.loads,
            schema="pg_catalog",
        )


class _Connection(asyncpg.Connection):  # type: ignore[misc]
    """orderflow leaves no session state on a connection (no LISTEN, cursors, SET or advisory
    lock outlives the call that took it; the migration lock is released in `finally`), so a
    connection goes back to the pool without asyncpg's four-statement reset query, a round trip
    per release. An open transaction is still rolled back by asyncpg itself."""

    def get_reset_query(self) -> str:
        return ""


async def create_pool(dsn: str, *, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn, min_size=1, max_size=max_size, init=_init_connection, connection_class=_Connection
    )
    assert pool is not None
    return pool


def _migrations() -> list[tuple[str, str]]:
    folder = resources.files("store") / "migrations"
    files = sorted(
        (f.name, f.read_text(encoding="utf-8")) for f in folder.iterdir() if f.name.endswith(".sql")
    )
    return [(name.removesuffix(".sql"), sql) for name, sql in files]


async def migrate(pool: asyncpg.Pool) -> list[str]:
    """Apply the migrations not yet applied; safe when several processes start at once."""
    applied: list[str] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
            for version, sql in _migrations():
                if version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version) VALUES ($1)", version
                    )
                applied.append(version)
                log.info("migration applied", version=version)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    return applied
