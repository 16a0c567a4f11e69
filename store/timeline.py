"""The timeline of a return or a claim: one entry appended, and the read model moved with it
to the snapshot the workflow had after it, in one statement. A request its workflow took is
readable from the moment the API answers it (`accepted`), before the workflow's first entry:
a row is visible once it has a snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from store import outbox


@dataclass(frozen=True)
class ReadModel:
    table: str
    events: str
    key: str
    also: str = ""  # further `column = …` assignments, in terms of $2 (seq) and $9 (snapshot)
    context: str = ""  # whose timeline it is, for events out (`domain.events`)


async def get(pool: asyncpg.Pool, model: ReadModel, key: str) -> dict[str, Any] | None:
    row = await pool.fetchrow(f"SELECT * FROM {model.table} WHERE {model.key} = $1", key)
    return dict(row) if row is not None else None


async def forget_refused(pool: asyncpg.Pool, model: ReadModel, key: str) -> None:
    """A request its workflow refused at once leaves nothing behind: the row, as long as no
    timeline entry was written for it."""
    await pool.execute(
        f"DELETE FROM {model.table} WHERE {model.key} = $1 AND status_seq = 0"
        " AND snapshot IS NULL"
        f" AND NOT EXISTS (SELECT 1 FROM {model.events} WHERE {model.key} = $1)",
        key,
    )


async def accepted(
    pool: asyncpg.Pool, model: ReadModel, key: str, status: str, snapshot: dict[str, Any]
) -> None:
    """The request was taken: the row shows the snapshot its workflow starts from, unless the
    workflow's own entries got there first."""
    await pool.execute(
        f"UPDATE {model.table} SET status = $2, snapshot = $3::jsonb, updated_at = now()"
        f" WHERE {model.key} = $1 AND status_seq = 0 AND snapshot IS NULL",
        key,
        status,
        snapshot,
    )


async def record(
    pool: asyncpg.Pool,
    model: ReadModel,
    key: str,
    *,
    seq: int,
    at: datetime,
    kind: str,
    summary: str,
    status: str | None,
    clauses: tuple[str, ...],
    details: dict[str, Any],
    snapshot: dict[str, Any],
    deadlines: dict[str, Any] | None,
) -> None:
    """Append one entry and move the read model with it; a replayed entry changes nothing,
    and an older entry retried late never overwrites a newer state."""
    await pool.execute(
        f"""
        WITH inserted AS (
            INSERT INTO {model.events} ({model.key}, seq, at, kind, status, summary, clauses,
                                        details)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT ({model.key}, seq) DO NOTHING
            RETURNING {model.key}
        ){outbox.fan_out(11)}
        UPDATE {model.table} SET
            status = CASE WHEN status_seq < $2 THEN COALESCE($5, status) ELSE status END,
            snapshot = CASE WHEN status_seq < $2 THEN $9::jsonb ELSE snapshot END,
            {model.also}
            status_seq = GREATEST(status_seq, $2),
            deadlines = deadlines || COALESCE($10::jsonb, '{{}}'::jsonb),
            updated_at = now()
        FROM inserted
        WHERE {model.table}.{model.key} = inserted.{model.key}
        """,
        key,
        seq,
        at,
        kind,
        status,
        summary,
        list(clauses),
        details,
        snapshot,
        deadlines,
        *outbox.fan_out_args(
            model.context,
            key,
            seq,
            at,
            kind,
            order_id=snapshot.get("order_id"),
            status=status,
            summary=summary,
            clauses=clauses,
            details=details,
            stream=f"subscription:{sid}" if (sid := snapshot.get("subscription_id")) else None,
        ),
    )
