"""The order read model and its timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from domain.decisions.quote import Quote
from domain.orders import PlaceOrder
from domain.policy import Policy
from domain.status import OrderStatus
from store import credentials, outbox
from store.customers import customer_ref
from store.sealing import Sealer


async def insert_order(
    pool: asyncpg.Pool,
    *,
    order_id: str,
    order: PlaceOrder,
    quote: Quote,
    policy: Policy,
    idempotency_key: str | None,
    request_hash: str,
    placed_at: datetime,
    sealer: Sealer,
) -> tuple[dict[str, Any], bool]:
    """Insert a placed order and its first timeline entry; with an idempotency key already
    used, return the order placed first (and False). The customer's locale defaults to the
    merchant's. An external reference already taken raises `ReferenceTaken`. The payment
    token is sealed (`store.credentials`): the order keeps its reference."""
    locale = order.customer.locale or policy.locale
    async with pool.acquire() as conn:
        try:
            async with conn.transaction():
                return await _insert(
                    conn,
                    order_id,
                    order,
                    quote,
                    policy,
                    locale,
                    idempotency_key,
                    request_hash,
                    placed_at,
                    sealer,
                )
        except asyncpg.UniqueViolationError as err:
            if err.constraint_name != "orders_external_reference":
                raise
            taken = await conn.fetchval(
                "SELECT order_id FROM orders WHERE merchant = $1 AND external_reference = $2",
                order.merchant,
                order.external_reference,
            )
            raise ReferenceTaken(str(taken)) from err


class ReferenceTaken(Exception):
    """Another order of the merchant already carries this external reference."""

    def __init__(self, order_id: str) -> None:
        super().__init__(order_id)
        self.order_id = order_id


async def _insert(
    conn: asyncpg.Connection,
    order_id: str,
    order: PlaceOrder,
    quote: Quote,
    policy: Policy,
    locale: str,
    idempotency_key: str | None,
    request_hash: str,
    placed_at: datetime,
    sealer: Sealer,
) -> tuple[dict[str, Any], bool]:
    token = order.payment.token
    ref = credentials.reference_for(token) if token else None
    row = await conn.fetchrow(
        """
        INSERT INTO orders (order_id, merchant, status, currency, items_total, shipping_total,
                            total, payment_method, payment_token, policy_version, policy,
                            customer, shipping_address, lines, idempotency_key, request_hash,
                            created_at, billing_address, coupons, customer_ref,
                            external_reference)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                $18, $19, $20, $21)
        ON CONFLICT (merchant, idempotency_key) DO NOTHING
        RETURNING *
        """,
        order_id,
        order.merchant,
        OrderStatus.PENDING_PAYMENT.value,
        quote.total.currency,
        quote.items.amount,
        quote.shipping.amount,
        quote.total.amount,
        order.payment.method.value,
        ref,
        policy.version,
        policy.model_dump(mode="json"),
        {**order.customer.model_dump(mode="json"), "locale": locale},
        order.shipping_address.model_dump(mode="json"),
        [line.model_dump(mode="json") for line in order.lines],
        idempotency_key,
        request_hash,
        placed_at,
        order.billing_address.model_dump(mode="json") if order.billing_address else None,
        order.coupons,
        customer_ref(order.customer.email),
        order.external_reference,
    )
    if row is None:
        existing = await conn.fetchrow(
            "SELECT * FROM orders WHERE merchant = $1 AND idempotency_key = $2",
            order.merchant,
            idempotency_key,
        )
        assert existing is not None
        return dict(existing), False
    if token:
        await credentials.keep(conn, sealer, order_id, token, ref)
    await _placed(conn, order_id, placed_at, quote, policy)
    return dict(row), True


async def _placed(
    conn: asyncpg.Connection, order_id: str, at: datetime, quote: Quote, policy: Policy
) -> None:
    """The order's first timeline entry: placed, at its total, under its pinned policy."""
    summary = f"order placed: {quote.total} under policy {policy.merchant} {policy.version}"
    status = OrderStatus.PENDING_PAYMENT.value
    await conn.execute(
        "WITH inserted AS (INSERT INTO order_events (order_id, seq, at, kind, status, summary,"
        " clauses) VALUES ($1, 0, $2, 'placed', $3, $4, $5) RETURNING order_id)"
        + outbox.fan_out(6)
        + " SELECT 1",
        order_id,
        at,
        status,
        summary,
        list(quote.clauses),
        *outbox.fan_out_args(
            "order",
            order_id,
            0,
            at,
            "placed",
            order_id=order_id,
            status=status,
            summary=summary,
            clauses=quote.clauses,
            details={"total": str(quote.total)},
        ),
    )


async def mark_workflow_started(db: asyncpg.Pool | asyncpg.Connection, order_id: str) -> None:
    await db.execute(
        "UPDATE orders SET workflow_started_at = now() WHERE order_id = $1"
        " AND workflow_started_at IS NULL",
        order_id,
    )


async def workflow_started(conn: asyncpg.Connection, order_id: str) -> bool | None:
    """Whether the order's workflow was started; None when there is no such order."""
    row = await conn.fetchrow(
        "SELECT workflow_started_at FROM orders WHERE order_id = $1", order_id
    )
    return None if row is None else row["workflow_started_at"] is not None


async def not_started(
    conn: asyncpg.Connection, older_than_seconds: float, limit: int = 50
) -> list[dict[str, Any]]:
    """Orders accepted while Temporal was unreachable, locked for the caller's transaction."""
    rows = await conn.fetch(
        "SELECT * FROM orders WHERE workflow_started_at IS NULL"
        " AND created_at < now() - make_interval(secs => $1)"
        " ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        older_than_seconds,
        limit,
    )
    return [dict(r) for r in rows]


async def get_order(pool: asyncpg.Pool, order_id: str) -> dict[str, Any] | None:
    row = await pool.fetchrow("SELECT * FROM orders WHERE order_id = $1", order_id)
    return dict(row) if row is not None else None


async def parcel_status(
    conn: asyncpg.Connection | asyncpg.Pool, order_id: str, tracking_number: str
) -> str | None:
    """The status the order's record holds for one of its parcels (None: not its parcel)."""
    status = await conn.fetchval(
        "SELECT parcel->>'status' FROM orders, jsonb_array_elements(shipments) AS parcel"
        " WHERE order_id = $1 AND parcel->>'tracking_number' = $2 LIMIT 1",
        order_id,
        tracking_number,
    )
    return str(status) if status is not None else None


async def list_events(pool: asyncpg.Pool, order_id: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT seq, at, kind, status, summary, clauses, details FROM order_events"
        " WHERE order_id = $1 ORDER BY seq",
        order_id,
    )
    return [dict(r) for r in rows]


async def record_event(
    pool: asyncpg.Pool,
    *,
    order_id: str,
    seq: int,
    at: datetime,
    kind: str,
    summary: str,
    status: OrderStatus | None = None,
    clauses: tuple[str, ...] = (),
    details: dict[str, Any] | None = None,
    shipments: list[dict[str, Any]] | None = None,
    deadlines: dict[str, Any] | None = None,
) -> None:
    """Append one timeline entry (and its event out) and move the read model, in one
    statement; a replayed entry changes nothing, and an older entry retried late (`seq` is
    the workflow's) never overwrites a newer status."""
    await pool.execute(
        """
        WITH inserted AS (
            INSERT INTO order_events (order_id, seq, at, kind, status, summary, clauses, details)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (order_id, seq) DO NOTHING
            RETURNING order_id
        )"""
        + outbox.fan_out(11)
        + """
        UPDATE orders SET
            status = CASE WHEN $5::text IS NOT NULL AND status_seq < $2 THEN $5 ELSE status END,
            status_seq = CASE WHEN $5::text IS NOT NULL AND status_seq < $2 THEN $2
                              ELSE status_seq END,
            shipments = COALESCE($9::jsonb, shipments),
            deadlines = deadlines || COALESCE($10::jsonb, '{}'::jsonb),
            updated_at = now()
        FROM inserted
        WHERE orders.order_id = inserted.order_id
        """,
        order_id,
        seq,
        at,
        kind,
        status.value if status else None,
        summary,
        list(clauses),
        details or {},
        shipments,
        deadlines,
        *outbox.fan_out_args(
            "order",
            order_id,
            seq,
            at,
            kind,
            order_id=order_id,
            status=status.value if status else None,
            summary=summary,
            clauses=clauses,
            details=details,
        ),
    )


async def note_cancel_reason(pool: asyncpg.Pool, order_id: str, reason: str) -> None:
    """Keep the first reason a customer gave for cancelling."""
    await pool.execute(
        "UPDATE orders SET cancel_reason = $2 WHERE order_id = $1 AND cancel_reason IS NULL",
        order_id,
        reason,
    )
