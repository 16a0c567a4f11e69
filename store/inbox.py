"""The webhook inbox: every verified provider event, kept until it reached its workflow."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg


async def insert_webhook(
    pool: asyncpg.Pool,
    *,
    kind: str,
    provider: str,
    event_id: str,
    event_type: str,
    order_id: str | None,
    payload: dict[str, Any],
) -> bool:
    """Store an event; False when the same provider event was stored before."""
    inserted = await pool.fetchval(
        """
        INSERT INTO webhook_inbox (kind, provider, event_id, event_type, order_id, payload)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (kind, provider, event_id) DO NOTHING
        RETURNING true
        """,
        kind,
        provider,
        event_id,
        event_type,
        order_id,
        payload,
    )
    return bool(inserted)


async def due(conn: asyncpg.Connection, limit: int) -> list[dict[str, Any]]:
    """Pending events whose turn has come, locked for this relay (call inside a transaction)."""
    rows = await conn.fetch(
        """
        SELECT id, kind, provider, event_id, event_type, order_id, payload, attempts
        FROM webhook_inbox
        WHERE relay_state = 'pending' AND next_attempt_at <= now()
        ORDER BY id
        LIMIT $1
        FOR UPDATE SKIP LOCKED
        """,
        limit,
    )
    return [dict(r) for r in rows]


async def mark_relayed(conn: asyncpg.Connection, row_id: int) -> None:
    await conn.execute(
        "UPDATE webhook_inbox SET relay_state = 'relayed', relayed_at = now(),"
        " attempts = attempts + 1, last_error = NULL WHERE id = $1",
        row_id,
    )


async def mark_unmatched(conn: asyncpg.Connection, row_id: int, error: str) -> None:
    await conn.execute(
        "UPDATE webhook_inbox SET relay_state = 'unmatched', attempts = attempts + 1,"
        " last_error = $2 WHERE id = $1",
        row_id,
        error,
    )


async def retry_later(conn: asyncpg.Connection, row_id: int, error: str, delay: timedelta) -> None:
    await conn.execute(
        "UPDATE webhook_inbox SET attempts = attempts + 1, last_error = $2,"
        " next_attempt_at = now() + $3 WHERE id = $1",
        row_id,
        error,
        delay,
    )


async def unmatched(
    pool: asyncpg.Pool, limit: int = 100, after: tuple[datetime, int] | None = None
) -> list[dict[str, Any]]:
    """Webhooks no workflow took, newest first; `after` is the previous page's last
    (received_at, id)."""
    rows = await pool.fetch(
        "SELECT id, kind, provider, event_id, event_type, order_id, received_at, last_error"
        " FROM webhook_inbox WHERE relay_state = 'unmatched'"
        " AND ($2::timestamptz IS NULL OR (received_at, id) < ($2, $3))"
        " ORDER BY received_at DESC, id DESC LIMIT $1",
        limit,
        after[0] if after else None,
        after[1] if after else None,
    )
    return [dict(r) for r in rows]


async def requeue(pool: asyncpg.Pool, row_id: int) -> bool:
    """Send an unmatched event through the relay again (after an operator fixed the cause)."""
    result = await pool.execute(
        "UPDATE webhook_inbox SET relay_state = 'pending', next_attempt_at = now()"
        " WHERE id = $1 AND relay_state = 'unmatched'",
        row_id,
    )
    return result.endswith(" 1")


async def mark_informational(conn: asyncpg.Connection, row_id: int) -> None:
    """Kept for the record; the order's workflow needs no signal for it."""
    await conn.execute(
        "UPDATE webhook_inbox SET relay_state = 'informational', relayed_at = now() WHERE id = $1",
        row_id,
    )


async def backlog(pool: asyncpg.Pool) -> dict[str, Any]:
    """Events waiting for the relay: how many, and how long the oldest has waited."""
    row = await pool.fetchrow(
        "SELECT count(*) AS pending, coalesce(extract(epoch FROM now() - min(received_at)), 0)"
        " AS oldest FROM webhook_inbox WHERE relay_state = 'pending'"
    )
    return {"pending": row["pending"], "oldest_unrelayed_seconds": round(float(row["oldest"]), 1)}
