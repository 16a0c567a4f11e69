"""An order's customer across the merchant's orders, known by a reference to their e-mail
address, never the address itself."""

from __future__ import annotations

import hashlib

import asyncpg


def customer_ref(email: str) -> str:
    """A stable reference to a customer for counting their orders, without the address."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


async def recent_orders_by_customer(pool: asyncpg.Pool, order_id: str) -> int:
    """How many other orders the same customer placed with the same merchant in the 24 hours
    before this one."""
    count = await pool.fetchval(
        """
        SELECT count(*) FROM orders o, orders this
        WHERE this.order_id = $1 AND o.merchant = this.merchant
          AND o.customer_ref = this.customer_ref AND o.order_id <> this.order_id
          AND o.created_at > this.created_at - interval '24 hours'
          AND o.created_at <= this.created_at
        """,
        order_id,
    )
    return int(count or 0)
