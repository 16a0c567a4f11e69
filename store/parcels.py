"""Parcels by tracking number: whose order each is, and its tracker at the tracking service."""

from __future__ import annotations

from typing import Any

import asyncpg


async def keep(
    pool: asyncpg.Pool, tracking_number: str, order_id: str, carrier: str, tracker_id: str | None
) -> None:
    """Record a parcel; a tracker found later is added, one known is never forgotten."""
    await pool.execute(
        "INSERT INTO parcels (tracking_number, order_id, carrier, tracker_id)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (tracking_number) DO UPDATE"
        " SET tracker_id = COALESCE(EXCLUDED.tracker_id, parcels.tracker_id)",
        tracking_number,
        order_id,
        carrier,
        tracker_id,
    )


async def one(
    conn: asyncpg.Connection | asyncpg.Pool, tracking_number: str
) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM parcels WHERE tracking_number = $1", tracking_number)
    return dict(row) if row else None
