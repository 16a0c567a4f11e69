"""Subscriptions: the row the API creates, the read model and timeline its workflow keeps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from domain.subscriptions import Subscribe, SubscriptionEvent
from store import credentials, outbox
from store.sealing import Sealer


async def insert(
    pool: asyncpg.Pool,
    *,
    subscription_id: str,
    ask: Subscribe,
    anchor: datetime,
    policy: dict[str, Any],
    policy_version: str,
    idempotency_key: str | None,
    request_hash: str,
    sealer: Sealer,
) -> tuple[dict[str, Any], bool]:
    """The subscription's row, created once per Idempotency-Key; (row, created now). The
    saved card's token is sealed (`store.credentials`): the row keeps its reference."""
    ref = credentials.reference_for(ask.payment.token)
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            """
            INSERT INTO subscriptions (subscription_id, merchant, plan, plan_name, price,
                currency, anchor, customer, payment_token, policy, policy_version,
                idempotency_key, request_hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING *
            """,
            subscription_id,
            ask.merchant,
            ask.plan,
            ask.plan_name,
            ask.price,
            ask.currency,
            anchor,
            ask.customer.model_dump(mode="json"),
            ref,
            policy,
            policy_version,
            idempotency_key,
            request_hash,
        )
        if row is not None:
            owner = f"subscription:{subscription_id}"
            await credentials.keep(conn, sealer, owner, ask.payment.token, ref)
            return _decoded(row), True
        row = await conn.fetchrow(
            "SELECT * FROM subscriptions WHERE idempotency_key = $1", idempotency_key
        )
        assert row is not None
        return _decoded(row), False


def _decoded(row: asyncpg.Record) -> dict[str, Any]:
    return dict(row)


async def get(pool: asyncpg.Pool, subscription_id: str) -> dict[str, Any] | None:
    row = await pool.fetchrow(
        "SELECT * FROM subscriptions WHERE subscription_id = $1", subscription_id
    )
    return _decoded(row) if row else None


async def mark_started(pool: asyncpg.Pool, subscription_id: str) -> None:
    await pool.execute(
        "UPDATE subscriptions SET workflow_started_at = now() WHERE subscription_id = $1",
        subscription_id,
    )


async def record_event(pool: asyncpg.Pool, event: SubscriptionEvent) -> None:
    """Append one timeline entry and move the read model once; a replayed entry changes
    nothing, and an older entry retried late never overwrites a newer status."""
    await pool.execute(
        """
        WITH inserted AS (
            INSERT INTO subscription_events (subscription_id, seq, at, kind, status, summary,
                                             clauses, details, period)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (subscription_id, seq) DO NOTHING
            RETURNING subscription_id
        )"""
        + outbox.fan_out(11)
        + """
        UPDATE subscriptions SET
            status = CASE WHEN $5::text IS NOT NULL AND status_seq < $2 THEN $5 ELSE status END,
            status_seq = CASE WHEN $5::text IS NOT NULL AND status_seq < $2 THEN $2
                              ELSE status_seq END,
            period = GREATEST(period, $9),
            deadlines = deadlines || COALESCE($10::jsonb, '{}'::jsonb),
            updated_at = now()
        FROM inserted
        WHERE subscriptions.subscription_id = inserted.subscription_id
        """,
        event.subscription_id,
        event.seq,
        event.at,
        event.kind,
        event.status.value if event.status else None,
        event.summary,
        list(event.clauses),
        event.details,
        event.period,
        event.deadlines,
        *outbox.fan_out_args(
            "subscription",
            event.subscription_id,
            event.seq,
            event.at,
            event.kind,
            order_id=None,
            status=event.status.value if event.status else None,
            summary=event.summary,
            clauses=event.clauses,
            details=event.details,
            stream=f"subscription:{event.subscription_id}",
        ),
    )


async def events(pool: asyncpg.Pool, subscription_id: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT seq, at, kind, status, summary, clauses, details, period"
        " FROM subscription_events WHERE subscription_id = $1 ORDER BY seq",
        subscription_id,
    )
    return [dict(r) for r in rows]
