"""Tasks waiting on a person, opened and closed by workflows, listed for operators."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg


async def open_task(
    pool: asyncpg.Pool,
    *,
    task_key: str,
    order_id: str,
    kind: str,
    summary: str,
    due_at: datetime | None,
    clauses: tuple[str, ...],
) -> None:
    """Open a task once; opening it again under the same key changes nothing."""
    await pool.execute(
        "INSERT INTO operator_tasks (task_key, order_id, kind, summary, due_at, clauses)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (task_key) DO NOTHING",
        task_key,
        order_id,
        kind,
        summary,
        due_at,
        list(clauses),
    )


async def close(pool: asyncpg.Pool, task_key: str) -> None:
    await pool.execute(
        "UPDATE operator_tasks SET closed_at = now() WHERE task_key = $1 AND closed_at IS NULL",
        task_key,
    )


async def open_tasks(pool: asyncpg.Pool, limit: int = 100) -> list[dict[str, Any]]:
    """Open tasks, the most urgent first (those with a due time before those without)."""
    rows = await pool.fetch(
        "SELECT task_key, order_id, kind, summary, clauses, due_at, opened_at"
        " FROM operator_tasks WHERE closed_at IS NULL"
        " ORDER BY due_at NULLS LAST, opened_at LIMIT $1",
        limit,
    )
    return [dict(r) for r in rows]
