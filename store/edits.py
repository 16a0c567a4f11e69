"""Edits of an order's lines as the API took them, read back under their ID; what became of
an edit later (approved, refused, lapsed) is on the order's timeline."""

from __future__ import annotations

from typing import Any

import asyncpg

# The timeline entries that settle an edit, and the status each gives it.
SETTLED_BY = {
    "order_edited": "applied",
    "order_edit_refused": "refused",
    "order_edit_lapsed": "lapsed",
}


async def keep(
    pool: asyncpg.Pool,
    *,
    edit_id: str,
    order_id: str,
    kind: str,
    request_hash: str,
    status: str,
    answer: dict[str, Any],
) -> None:
    """The workflow's answer to an edit, kept once under its ID (a later answer, such as the
    customer's approval, moves it on)."""
    await pool.execute(
        """
        INSERT INTO order_edits (edit_id, order_id, kind, request_hash, status, answer)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (edit_id) DO UPDATE SET status = EXCLUDED.status, answer = EXCLUDED.answer,
            updated_at = now()
        """,
        edit_id,
        order_id,
        kind,
        request_hash,
        status,
        answer,
    )


async def settle(
    pool: asyncpg.Pool, order_id: str, edit_id: str, status: str, answer: dict[str, Any]
) -> None:
    """The customer's answer moved an edit on (approved and settled, or refused)."""
    await pool.execute(
        "UPDATE order_edits SET status = $3, answer = $4, updated_at = now()"
        " WHERE order_id = $1 AND edit_id = $2",
        order_id,
        edit_id,
        status,
        answer,
    )


async def get(pool: asyncpg.Pool, order_id: str, edit_id: str) -> dict[str, Any] | None:
    """The edit as taken, with its status as the order's timeline last settled it."""
    row = await pool.fetchrow(
        "SELECT * FROM order_edits WHERE order_id = $1 AND edit_id = $2", order_id, edit_id
    )
    if row is None:
        return None
    settled = await pool.fetchval(
        "SELECT kind FROM order_events WHERE order_id = $1 AND kind = ANY($2::text[])"
        " AND details->>'edit_id' = $3 ORDER BY seq DESC LIMIT 1",
        order_id,
        list(SETTLED_BY),
        edit_id,
    )
    found = dict(row)
    if settled is not None and found["status"] == "awaiting_approval":
        found["status"] = SETTLED_BY[settled]
    return found


async def awaiting(pool: asyncpg.Pool, order_id: str) -> list[dict[str, Any]]:
    """The order's edits still waiting for the customer's approval: taken as such, and no
    timeline entry has settled them since."""
    rows = await pool.fetch(
        "SELECT * FROM order_edits d WHERE d.order_id = $1 AND d.status = 'awaiting_approval'"
        " AND NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = d.order_id"
        " AND e.kind = ANY($2::text[]) AND e.details->>'edit_id' = d.edit_id)"
        " ORDER BY d.created_at",
        order_id,
        list(SETTLED_BY),
    )
    return [dict(r) for r in rows]


async def set_lines(
    conn: asyncpg.Connection | asyncpg.Pool,
    order_id: str,
    lines: list[dict[str, Any]],
    totals: tuple[Any, Any, Any],
) -> None:
    """The order's lines and totals (items, shipping, total) after an edit."""
    await conn.execute(
        "UPDATE orders SET lines = $2, items_total = $3, shipping_total = $4, total = $5,"
        " updated_at = now() WHERE order_id = $1",
        order_id,
        lines,
        *totals,
    )
