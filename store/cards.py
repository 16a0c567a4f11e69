"""Digital gift cards: the sealed codes and the status each card's order keeps current."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg


async def by_key(pool: asyncpg.Pool, idempotency_key: str) -> dict[str, Any] | None:
    row = await pool.fetchrow(
        "SELECT * FROM digital_cards WHERE idempotency_key = $1", idempotency_key
    )
    return dict(row) if row else None


async def keep(
    pool: asyncpg.Pool,
    *,
    card_id: str,
    order_id: str,
    idempotency_key: str,
    line: int,
    unit: int,
    sku: str,
    amount: Decimal,
    currency: str,
    issuer: str,
    key_id: str,
    code_sealed: bytes,
    issued_at: datetime,
) -> None:
    """Keep an issued card once; the same key again changes nothing."""
    await pool.execute(
        "INSERT INTO digital_cards (card_id, order_id, idempotency_key, line, unit, sku, amount,"
        " currency, issuer, key_id, code_sealed, issued_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        " ON CONFLICT (idempotency_key) DO NOTHING",
        card_id,
        order_id,
        idempotency_key,
        line,
        unit,
        sku,
        amount,
        currency,
        issuer,
        key_id,
        code_sealed,
        issued_at,
    )


async def mark(
    pool: asyncpg.Pool,
    card_id: str,
    status: str,
    expires_at: datetime | None,
    redeemed_at: datetime | None,
) -> None:
    await pool.execute(
        "UPDATE digital_cards SET status = $2, expires_at = COALESCE($3, expires_at),"
        " redeemed_at = COALESCE($4, redeemed_at), updated_at = now() WHERE card_id = $1",
        card_id,
        status,
        expires_at,
        redeemed_at,
    )


async def of_order(pool: asyncpg.Pool, order_id: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT * FROM digital_cards WHERE order_id = $1 ORDER BY line, unit, issued_at", order_id
    )
    return [dict(r) for r in rows]
