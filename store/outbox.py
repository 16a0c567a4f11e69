"""The outbox of events out, and each endpoint's deliveries of them.

A timeline entry that is an event (`domain.events.event_type`) is written to the outbox, and a
delivery is queued for every endpoint that wants its type, in the very statement that writes
the entry (`fan_out`): an event exists exactly when its entry does. Deliveries of one order
(its `stream`) to one endpoint go in order: only the oldest one not delivered is due."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from domain.events import event_data, event_type


def fan_out(first: int) -> str:
    """Two more common table expressions for a statement whose `inserted` yields a row only
    when its timeline entry was new: the event, from parameters `$first` (ID), `$first+1`
    (type, NULL for none), `$first+2` (data), `$first+3` (stream), `$first+4` (time)."""
    n = first
    return f""",
        outboxed AS (
            INSERT INTO event_outbox (event_id, stream, type, at, data)
            SELECT ${n}, ${n + 3}, ${n + 1}::text, ${n + 4}, ${n + 2}::jsonb
            FROM (SELECT 1 FROM inserted LIMIT 1) AS new_entry
            WHERE ${n + 1}::text IS NOT NULL
            ON CONFLICT (event_id) DO NOTHING
            RETURNING event_id, stream, position, type
        ),
        fanned AS (
            INSERT INTO event_deliveries (endpoint_id, event_id, stream, position)
            SELECT e.endpoint_id, o.event_id, o.stream, o.position
            FROM outboxed o JOIN event_endpoints e ON o.type = ANY(e.event_types)
        )"""


def fan_out_args(
    context: str,
    key: str,
    seq: int,
    at: datetime,
    kind: str,
    *,
    order_id: str | None,
    status: str | None,
    summary: str,
    clauses: tuple[str, ...] | list[str],
    details: dict[str, Any] | None,
    stream: str | None = None,
) -> list[Any]:
    """The parameters `fan_out` reads, for one timeline entry of `stream` (its order's, when
    it has one)."""
    kind_of = event_type(context, kind, status)
    if kind_of is None:  # an entry told to no one: nothing to build
        return [None, None, None, None, at]
    event_id = "evt_" + hashlib.sha256(f"{context}:{key}:{seq}".encode()).hexdigest()[:24]
    data = event_data(
        context,
        key,
        order_id=order_id,
        status=status,
        summary=summary,
        clauses=clauses,
        details=details,
    )
    return [event_id, kind_of, data, order_id or stream or f"{context}:{key}", at]


async def due(conn: asyncpg.Connection, limit: int = 50) -> list[dict[str, Any]]:
    """Deliveries due now, each the oldest of its order for its endpoint, locked for this
    pass (another replica skips them)."""
    rows = await conn.fetch(
        """
        SELECT d.endpoint_id, d.event_id, d.stream, d.position, d.attempts, d.created_at,
               o.type, o.at, o.data, e.url, e.personal_data, e.secret_key_id, e.secret,
               e.previous_key_id, e.previous_secret, e.previous_until, e.retry_for,
               e.status AS endpoint_status
        FROM event_deliveries d
        JOIN event_outbox o USING (event_id)
        JOIN event_endpoints e USING (endpoint_id)
        WHERE d.state = 'pending' AND d.next_attempt_at <= now() AND e.status <> 'paused'
          AND NOT EXISTS (
              SELECT 1 FROM event_deliveries h
              WHERE h.endpoint_id = d.endpoint_id AND h.stream = d.stream
                AND h.state <> 'delivered' AND h.position < d.position
          )
        ORDER BY d.position
        LIMIT $1
        FOR UPDATE OF d SKIP LOCKED
        """,
        limit,
    )
    return [dict(r) for r in rows]


async def delivered(conn: asyncpg.Connection, endpoint_id: str, event_id: str) -> bool:
    """Mark it delivered; True when the endpoint was failing and is healthy again."""
    await conn.execute(
        "UPDATE event_deliveries SET state = 'delivered', delivered_at = now(), last_error = NULL,"
        " attempts = attempts + 1 WHERE endpoint_id = $1 AND event_id = $2",
        endpoint_id,
        event_id,
    )
    healed = await conn.fetchval(
        "UPDATE event_endpoints SET status = 'active', updated_at = now()"
        " WHERE endpoint_id = $1 AND status = 'failing'"
        " AND NOT EXISTS (SELECT 1 FROM event_deliveries WHERE endpoint_id = $1"
        " AND state = 'parked') RETURNING endpoint_id",
        endpoint_id,
    )
    return healed is not None


async def retry_later(
    conn: asyncpg.Connection, endpoint_id: str, event_id: str, error: str, wait: timedelta
) -> None:
    await conn.execute(
        "UPDATE event_deliveries SET attempts = attempts + 1, last_error = $3,"
        " next_attempt_at = now() + $4 WHERE endpoint_id = $1 AND event_id = $2",
        endpoint_id,
        event_id,
        error[:1000],
        wait,
    )


async def park(
    conn: asyncpg.Connection, endpoint_id: str, stream: str, position: int, error: str
) -> int:
    """Past its retry budget: the delivery is parked, and so is every later one of its order
    for this endpoint (delivered after it, in order, when replayed); the endpoint is marked
    failing. How many were parked."""
    parked = await conn.fetchval(
        """
        WITH parked AS (
            UPDATE event_deliveries SET state = 'parked', parked_at = now(),
                last_error = CASE WHEN position = $3 THEN $4 ELSE 'behind a parked event' END,
                attempts = attempts + CASE WHEN position = $3 THEN 1 ELSE 0 END
            WHERE endpoint_id = $1 AND stream = $2 AND position >= $3 AND state = 'pending'
            RETURNING 1
        )
        SELECT count(*) FROM parked
        """,
        endpoint_id,
        stream,
        position,
        error[:1000],
    )
    await conn.execute(
        "UPDATE event_endpoints SET status = 'failing', updated_at = now()"
        " WHERE endpoint_id = $1 AND status = 'active'",
        endpoint_id,
    )
    return int(parked)


async def replay(
    pool: asyncpg.Pool,
    endpoint_id: str,
    *,
    event_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Send parked deliveries again (one event, those of a time range, or all): each is due at
    once with a fresh retry budget, in order. How many."""
    count = await pool.fetchval(
        """
        WITH again AS (
            UPDATE event_deliveries d SET state = 'pending', attempts = 0, next_attempt_at = now(),
                created_at = now(), parked_at = NULL
            FROM event_outbox o
            WHERE d.event_id = o.event_id AND d.endpoint_id = $1 AND d.state = 'parked'
              AND ($2::text IS NULL OR d.event_id = $2)
              AND ($3::timestamptz IS NULL OR o.at >= $3)
              AND ($4::timestamptz IS NULL OR o.at < $4)
            RETURNING 1
        )
        SELECT count(*) FROM again
        """,
        endpoint_id,
        event_id,
        since,
        until,
    )
    return int(count)


async def parked(pool: asyncpg.Pool, endpoint_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """The endpoint's dead letters, oldest first."""
    rows = await pool.fetch(
        "SELECT d.event_id, o.type, o.at, d.stream, d.attempts, d.last_error, d.parked_at"
        " FROM event_deliveries d JOIN event_outbox o USING (event_id)"
        " WHERE d.endpoint_id = $1 AND d.state = 'parked' ORDER BY d.position LIMIT $2",
        endpoint_id,
        limit,
    )
    return [dict(r) for r in rows]


async def oldest_waiting(pool: asyncpg.Pool) -> dict[str, float]:
    """Per endpoint, the age in seconds of its oldest event not yet delivered."""
    rows = await pool.fetch(
        "SELECT e.endpoint_id, EXTRACT(EPOCH FROM now() - min(o.at)) AS age"
        " FROM event_endpoints e LEFT JOIN event_deliveries d"
        " ON d.endpoint_id = e.endpoint_id AND d.state <> 'delivered'"
        " LEFT JOIN event_outbox o ON o.event_id = d.event_id GROUP BY e.endpoint_id"
    )
    return {r["endpoint_id"]: float(r["age"] or 0) for r in rows}
