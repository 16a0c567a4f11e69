"""The money ledger: one row per capture, void or refund, unique on its idempotency key."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg


async def open_movement(
    pool: asyncpg.Pool,
    *,
    order_id: str | None,
    idempotency_key: str,
    movement: str,
    amount: Decimal,
    currency: str,
    provider: str,
    clauses: tuple[str, ...] = (),
    subscription_id: str | None = None,
) -> dict[str, Any]:
    """The ledger row for this key (an order's, or a subscription's), created as `pending`
    the first time it is asked for; `opened_now` says whether this call created it (no
    earlier attempt got this far)."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            """
            INSERT INTO ledger (order_id, idempotency_key, movement, amount, currency, provider,
                                status, clauses, subscription_id)
            VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8)
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING *
            """,
            order_id,
            idempotency_key,
            movement,
            amount,
            currency,
            provider,
            list(clauses),
            subscription_id,
        )
        if row is not None:
            return {**row, "opened_now": True}
        row = await conn.fetchrow(
            "SELECT * FROM ledger WHERE idempotency_key = $1", idempotency_key
        )
        assert row is not None
        return {**row, "opened_now": False}


async def settle_movement(
    pool: asyncpg.Pool, *, idempotency_key: str, status: str, provider_ref: str | None
) -> None:
    await pool.execute(
        "UPDATE ledger SET status = $2, provider_ref = COALESCE($3, provider_ref), updated_at = now()"
        " WHERE idempotency_key = $1",
        idempotency_key,
        status,
        provider_ref,
    )


async def fail_movement(pool: asyncpg.Pool, *, idempotency_key: str, reason: str) -> None:
    """A movement the provider refused for good: `failed`, with its reason (a row the
    provider already settled stays as it is)."""
    await pool.execute(
        "UPDATE ledger SET status = 'failed', failure = $2, updated_at = now()"
        " WHERE idempotency_key = $1 AND status = 'pending'",
        idempotency_key,
        reason,
    )


async def movements(pool: asyncpg.Pool, order_id: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT movement, amount, currency, provider, provider_ref, status, failure, clauses,"
        " created_at FROM ledger WHERE order_id = $1 ORDER BY id",
        order_id,
    )
    return [dict(r) for r in rows]


async def refunded(pool: asyncpg.Pool, order_id: str) -> Decimal:
    """What has been refunded of the order so far (refunds the provider confirmed)."""
    total = await pool.fetchval(
        "SELECT COALESCE(sum(amount), 0) FROM ledger"
        " WHERE order_id = $1 AND movement = 'refund' AND status = 'succeeded'",
        order_id,
    )
    return Decimal(total)


async def of_subscription(pool: asyncpg.Pool, subscription_id: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT movement, amount, currency, provider, provider_ref, status, clauses,"
        " idempotency_key, created_at FROM ledger WHERE subscription_id = $1 ORDER BY id",
        subscription_id,
    )
    return [dict(r) for r in rows]


async def states_of(conn: asyncpg.Connection, order_id: str, provider_ref: str) -> set[str]:
    """Every state the ledger recorded for one provider payment of an order."""
    found = await conn.fetch(
        "SELECT DISTINCT status FROM ledger WHERE order_id = $1 AND provider_ref = $2",
        order_id,
        provider_ref,
    )
    return {r["status"] for r in found}


async def order_of_payment(pool: asyncpg.Pool, provider_ref: Any) -> str | None:
    """The order a provider payment belongs to, when the ledger has it."""
    if not isinstance(provider_ref, str) or not provider_ref:
        return None
    found = await pool.fetchval(
        "SELECT order_id FROM ledger WHERE provider_ref = $1 AND order_id IS NOT NULL LIMIT 1",
        provider_ref,
    )
    return str(found) if found else None
