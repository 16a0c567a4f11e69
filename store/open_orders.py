"""The open orders of a merchant as the read model knows them, with the moments their life
reached so far: what a policy change is tried on (`domain.decisions.what_if`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

FINAL = ["completed", "cancelled", "lost", "payment_failed"]


async def open_orders(
    pool: asyncpg.Pool, merchant: str, placed_since: datetime | None = None, limit: int = 10_000
) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        """
        SELECT o.order_id, o.status, o.policy, o.lines, o.shipping_total, o.total, o.currency,
               o.created_at,
               min(e.at) FILTER (WHERE e.kind = 'paid') AS paid_at,
               min(e.at) FILTER (WHERE e.kind = 'fulfilment_started') AS fulfilment_started_at,
               min(e.at) FILTER (WHERE e.kind = 'shipped') AS shipped_at,
               min(e.at) FILTER (WHERE e.status = 'delivered') AS delivered_at
        FROM orders o LEFT JOIN order_events e ON e.order_id = o.order_id
        WHERE o.merchant = $1 AND o.status <> ALL($2::text[])
          AND ($3::timestamptz IS NULL OR o.created_at >= $3)
        GROUP BY o.order_id
        ORDER BY o.created_at
        LIMIT $4
        """,
        merchant,
        FINAL,
        placed_since,
        limit,
    )
    return [dict(r) for r in rows]
