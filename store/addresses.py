"""Address changes an order's customer asked for: proposed, then refused or applied."""

from __future__ import annotations

from typing import Any

import asyncpg


async def propose(pool: asyncpg.Pool, order_id: str, address: dict[str, Any]) -> int:
    change_id: int = await pool.fetchval(
        "INSERT INTO address_changes (order_id, address) VALUES ($1, $2) RETURNING id",
        order_id,
        address,
    )
    return change_id


async def refuse(pool: asyncpg.Pool, change_id: int) -> None:
    await pool.execute(
        "UPDATE address_changes SET state = 'refused', decided_at = now()"
        " WHERE id = $1 AND state = 'pending'",
        change_id,
    )


async def apply(pool: asyncpg.Pool, order_id: str, change_id: int) -> bool:
    """Make an accepted change the order's shipping address; applying twice is harmless."""
    async with pool.acquire() as conn, conn.transaction():
        address = await conn.fetchval(
            "UPDATE address_changes SET state = 'applied', decided_at = COALESCE(decided_at, now())"
            " WHERE id = $1 AND order_id = $2 AND state IN ('pending', 'applied') RETURNING address",
            change_id,
            order_id,
        )
        if address is None:
            return False
        await conn.execute(
            "UPDATE orders SET shipping_address = $2, updated_at = now() WHERE order_id = $1",
            order_id,
            address,
        )
        return True
