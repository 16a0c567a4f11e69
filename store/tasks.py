"""Tasks waiting on a person, opened and closed by workflows, listed for operators."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg


async def open_task(
    pool: asyncpg.Pool,
    *,
    task_key: str,
    order_id: str | None,
    kind: str,
    summary: str,
    due_at: datetime | None,
    clauses: tuple[str, ...],
    subscription_id: str | None = None,
    ref: str | None = None,
    priority: int = 0,
) -> None:
    """Open a task once; opening it again under the same key moves only its due time (a
    moved deadline), and a moved task may be escalated again."""
    await pool.execute(
        "INSERT INTO operator_tasks (task_key, order_id, kind, summary, due_at, clauses,"
        " subscription_id, ref, priority) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (task_key) DO UPDATE SET due_at = EXCLUDED.due_at,"
        " escalated_at = CASE WHEN operator_tasks.due_at IS DISTINCT FROM EXCLUDED.due_at"
        " THEN NULL ELSE operator_tasks.escalated_at END"
        " WHERE operator_tasks.closed_at IS NULL",
        task_key,
        order_id,
        kind,
        summary,
        due_at,
        list(clauses),
        subscription_id,
        ref,
        priority,
    )


async def close(pool: asyncpg.Pool, task_key: str) -> None:
    await pool.execute(
        "UPDATE operator_tasks SET closed_at = now() WHERE task_key = $1 AND closed_at IS NULL",
        task_key,
    )


async def close_all(pool: asyncpg.Pool, kind: str, ref: str) -> None:
    """Close every open task of this kind about `ref`."""
    await pool.execute(
        "UPDATE operator_tasks SET closed_at = now()"
        " WHERE kind = $1 AND ref = $2 AND closed_at IS NULL",
        kind,
        ref,
    )


async def escalate(pool: asyncpg.Pool, task_key: str) -> bool:
    """Mark an open task escalated (once: a repeat keeps the first time); False when it was
    closed meanwhile."""
    done = await pool.fetchval(
        "UPDATE operator_tasks SET escalated_at = COALESCE(escalated_at, now())"
        " WHERE task_key = $1 AND closed_at IS NULL RETURNING 1",
        task_key,
    )
    return done is not None


async def open_tasks(
    pool: asyncpg.Pool,
    limit: int = 100,
    after: tuple[int, datetime | None, datetime, str] | None = None,
) -> list[dict[str, Any]]:
    """Open tasks, the most urgent first: a higher priority first, then those with a due
    time before those without, then the oldest; `after` is the last row of the previous page."""
    rows = await pool.fetch(
        "SELECT task_key, order_id, subscription_id, ref, kind, summary, clauses, due_at,"
        " opened_at, escalated_at, priority FROM operator_tasks WHERE closed_at IS NULL"
        " AND ($2::boolean OR (-priority, COALESCE(due_at, 'infinity'), opened_at, task_key)"
        "      > (-$6::int, COALESCE($3::timestamptz, 'infinity'), $4::timestamptz, $5::text))"
        " ORDER BY priority DESC, COALESCE(due_at, 'infinity'), opened_at, task_key LIMIT $1",
        limit,
        after is None,
        after[1] if after else None,
        after[2] if after else None,
        after[3] if after else None,
        after[0] if after else 0,
    )
    return [dict(r) for r in rows]


async def overdue_counts(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """Open tasks past their due time, by kind, and how many of them were escalated."""
    rows = await pool.fetch(
        "SELECT kind, count(*) AS overdue, count(escalated_at) AS escalated"
        " FROM operator_tasks WHERE closed_at IS NULL AND due_at < now() GROUP BY kind"
    )
    return [dict(r) for r in rows]
