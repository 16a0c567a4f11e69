"""The e-mail log: one row per message an order sends, unique on its idempotency key."""

from __future__ import annotations

from typing import Any

import asyncpg


async def claim_email(
    pool: asyncpg.Pool,
    *,
    order_id: str | None,
    template: str,
    idempotency_key: str,
    recipient: str,
    subject: str,
    message_id: str,
    subscription_id: str | None = None,
) -> dict[str, Any]:
    """The row for this message, created the first time; `sent_at` tells if it went out."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            """
            INSERT INTO emails (order_id, template, idempotency_key, recipient, subject,
                                message_id, subscription_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING *
            """,
            order_id,
            template,
            idempotency_key,
            recipient,
            subject,
            message_id,
            subscription_id,
        )
        if row is None:
            row = await conn.fetchrow(
                "SELECT * FROM emails WHERE idempotency_key = $1", idempotency_key
            )
        assert row is not None
        return dict(row)


async def mark_sent(pool: asyncpg.Pool, idempotency_key: str) -> None:
    await pool.execute(
        "UPDATE emails SET sent_at = now() WHERE idempotency_key = $1", idempotency_key
    )


async def for_order(pool: asyncpg.Pool, order_id: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT template, subject, sent_at FROM emails WHERE order_id = $1 ORDER BY id", order_id
    )
    return [dict(r) for r in rows]


async def for_subscription(pool: asyncpg.Pool, subscription_id: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT template, subject, sent_at FROM emails WHERE subscription_id = $1 ORDER BY id",
        subscription_id,
    )
    return [dict(r) for r in rows]
