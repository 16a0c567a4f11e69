"""Returns: the request as asked (with the customer's words and files), the read model its
workflow keeps current, and its timeline."""

from __future__ import annotations

from typing import Any

import asyncpg

from store import timeline


async def insert_return(
    pool: asyncpg.Pool,
    *,
    rma_id: str,
    order_id: str,
    reason: str,
    resolution: str,
    description: str,
    evidence: list[dict[str, Any]],
    request_hash: str,
) -> dict[str, Any]:
    """Store a request once under its RMA ID; asked again, the row already stored."""
    row = await pool.fetchrow(
        """
        INSERT INTO returns (rma_id, order_id, reason, resolution, description, evidence,
                             request_hash)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (rma_id) DO NOTHING
        RETURNING *
        """,
        rma_id,
        order_id,
        reason,
        resolution,
        description,
        evidence,
        request_hash,
    )
    if row is None:
        row = await pool.fetchrow("SELECT * FROM returns WHERE rma_id = $1", rma_id)
    return dict(row)


async def forget_refused(pool: asyncpg.Pool, rma_id: str) -> None:
    """A request the order refused leaves nothing behind."""
    await timeline.forget_refused(pool, RETURNS, rma_id)


async def accepted(pool: asyncpg.Pool, rma_id: str, status: str, snapshot: dict[str, Any]) -> None:
    """The order took the return: readable at once, as its workflow starts."""
    await timeline.accepted(pool, RETURNS, rma_id, status, snapshot)


async def get_return(pool: asyncpg.Pool, rma_id: str) -> dict[str, Any] | None:
    return await timeline.get(pool, RETURNS, rma_id)


async def returns_of_order(pool: asyncpg.Pool, order_id: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT * FROM returns WHERE order_id = $1 AND snapshot IS NOT NULL ORDER BY created_at",
        order_id,
    )
    return [dict(r) for r in rows]


async def events(db: asyncpg.Pool, rma_ids: list[str]) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT rma_id, seq, at, kind, status, summary, clauses, details FROM return_events"
        " WHERE rma_id = ANY($1::text[]) ORDER BY at, rma_id, seq",
        rma_ids,
    )
    return [dict(r) for r in rows]


async def rma_of_parcel(
    conn: asyncpg.Connection, tracking_number: str, reference: str | None = None
) -> str | None:
    """The return whose parcel carries this tracking number, if one does and no order's
    outbound parcel does; with the carrier's `reference`, only a return it names (by its
    RMA or its order)."""
    return await conn.fetchval(
        "SELECT r.rma_id FROM returns r WHERE r.tracking_number = $1"
        " AND NOT EXISTS (SELECT 1 FROM parcels p WHERE p.tracking_number = $1)"
        " AND ($2::text IS NULL OR $2 IN (r.rma_id, r.order_id))"
        " ORDER BY r.created_at DESC LIMIT 1",
        tracking_number,
        reference,
    )


async def parcel_owner(
    conn: asyncpg.Connection | asyncpg.Pool, tracking_number: str, rma_id: str
) -> str | None:
    """Who else a tracking number belongs to: an order's outbound parcel (`order <id>`) or
    another return's parcel (`return <rma>`); None when it is free for this return."""
    owner: str | None = await conn.fetchval(
        "SELECT 'order ' || order_id FROM parcels WHERE tracking_number = $1"
        " UNION ALL SELECT 'return ' || rma_id FROM returns"
        " WHERE tracking_number = $1 AND rma_id <> $2 LIMIT 1",
        tracking_number,
        rma_id,
    )
    return owner


RETURNS = timeline.ReadModel(
    "returns",
    "return_events",
    "rma_id",
    also="""tracking_number = CASE WHEN status_seq < $2
                               THEN COALESCE($9::jsonb ->> 'tracking_number', tracking_number)
                               ELSE tracking_number END,""",
    context="return",
)


async def record_event(pool: asyncpg.Pool, *, rma_id: str, **entry: Any) -> None:
    """Append one timeline entry and move the return's read model with it."""
    await timeline.record(pool, RETURNS, rma_id, **entry)
