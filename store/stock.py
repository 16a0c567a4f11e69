"""Stock levels and reservations. A SKU with no stock row is not tracked: it counts as
available, since the merchant keeps its stock elsewhere."""

from __future__ import annotations

import asyncpg


async def set_available(pool: asyncpg.Pool, merchant: str, sku: str, available: int) -> None:
    await pool.execute(
        "INSERT INTO stock (merchant, sku, available) VALUES ($1, $2, $3)"
        " ON CONFLICT (merchant, sku) DO UPDATE SET available = $3, updated_at = now()",
        merchant,
        sku,
        available,
    )


async def reserve(pool: asyncpg.Pool, merchant: str, key: str, wanted: dict[str, int]) -> bool:
    """Reserve every SKU's quantity, or none; asking again with the same key answers the same."""
    async with pool.acquire() as conn, conn.transaction():
        if await conn.fetchval(
            "SELECT true FROM stock_reservations WHERE reservation_key = $1 LIMIT 1", key
        ):
            return True
        rows = await conn.fetch(
            "SELECT sku, available FROM stock WHERE merchant = $1 AND sku = ANY($2::text[])"
            " FOR UPDATE",
            merchant,
            list(wanted),
        )
        tracked = {r["sku"]: r["available"] for r in rows}
        if any(tracked[sku] < qty for sku, qty in wanted.items() if sku in tracked):
            return False
        for sku, qty in wanted.items():
            if sku in tracked:
                await conn.execute(
                    "UPDATE stock SET available = available - $3, updated_at = now()"
                    " WHERE merchant = $1 AND sku = $2",
                    merchant,
                    sku,
                    qty,
                )
            await conn.execute(
                "INSERT INTO stock_reservations (reservation_key, merchant, sku, quantity)"
                " VALUES ($1, $2, $3, $4)",
                key,
                merchant,
                sku,
                qty,
            )
        return True


async def give_back(pool: asyncpg.Pool, merchant: str, key: str, units: dict[str, int]) -> None:
    """Units an order no longer takes go back to stock, once under `key` (SKUs tracked here)."""
    async with pool.acquire() as conn, conn.transaction():
        if await conn.fetchval(
            "SELECT true FROM stock_releases WHERE release_key = $1 LIMIT 1", key
        ):
            return
        for sku, qty in units.items():
            await conn.execute(
                "UPDATE stock SET available = available + $3, updated_at = now()"
                " WHERE merchant = $1 AND sku = $2",
                merchant,
                sku,
                qty,
            )
            await conn.execute(
                "INSERT INTO stock_releases (release_key, merchant, sku, quantity)"
                " VALUES ($1, $2, $3, $4)",
                key,
                merchant,
                sku,
                qty,
            )


async def unreserve(pool: asyncpg.Pool, merchant: str, key: str) -> None:
    """A reservation not needed after all (its edit was not paid): its units go back."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "DELETE FROM stock_reservations WHERE reservation_key = $1 AND merchant = $2"
            " RETURNING sku, quantity",
            key,
            merchant,
        )
        for row in rows:
            await conn.execute(
                "UPDATE stock SET available = available + $3, updated_at = now()"
                " WHERE merchant = $1 AND sku = $2",
                merchant,
                row["sku"],
                row["quantity"],
            )


async def short(pool: asyncpg.Pool, merchant: str, wanted: dict[str, int]) -> list[str]:
    """The SKUs tracked here with fewer units available than wanted."""
    if not wanted:
        return []
    rows = await pool.fetch(
        "SELECT sku, available FROM stock WHERE merchant = $1 AND sku = ANY($2::text[])",
        merchant,
        list(wanted),
    )
    return sorted(r["sku"] for r in rows if r["available"] < wanted[r["sku"]])
