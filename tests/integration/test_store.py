"""PostgreSQL: migrations under concurrent start-up, and the idempotent writes money relies on."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg

from domain.decisions.quote import quote_order
from domain.orders import PlaceOrder
from domain.policy import load_policy
from runtime.postgres import LocalPostgres
from runtime.settings import DEV_CARD_CODE_KEYS
from store import ledger, orders
from store.db import create_pool, migrate
from store.sealing import Sealer
from tests.integration.harness import order_body
from tests.paths import DEMO_PRESET, ROOT


async def test_migrations_apply_once_when_several_processes_start_together(
    postgres: LocalPostgres,
) -> None:
    dsn = postgres.create_database(f"migrate_{uuid.uuid4().hex[:8]}")
    pools = [await create_pool(dsn, max_size=2) for _ in range(4)]
    try:
        results = await asyncio.gather(*(migrate(p) for p in pools))
        count = len(list((ROOT / "store" / "migrations").glob("*.sql")))
        assert sorted(len(r) for r in results) == [0, 0, 0, count]
        assert await pools[0].fetchval("SELECT count(*) FROM schema_migrations") == count
        assert await migrate(pools[0]) == []
    finally:
        for p in pools:
            await p.close()


async def new_order(pool: asyncpg.Pool) -> str:
    policy = load_policy(DEMO_PRESET)
    body = PlaceOrder.model_validate(order_body())
    row, _ = await orders.insert_order(
        pool,
        order_id=uuid.uuid4().hex[:20],
        order=body,
        quote=quote_order(policy, body.lines),
        policy=policy,
        idempotency_key=None,
        request_hash="h",
        placed_at=datetime.now(UTC),
        sealer=Sealer(DEV_CARD_CODE_KEYS),
    )
    return str(row["order_id"])


async def test_a_ledger_movement_exists_once_per_idempotency_key(pool: asyncpg.Pool) -> None:
    order_id = await new_order(pool)
    key = f"{order_id}:capture:1"
    rows = await asyncio.gather(
        *(
            ledger.open_movement(
                pool,
                order_id=order_id,
                idempotency_key=key,
                movement="capture",
                amount=Decimal("39.80"),
                currency="EUR",
                provider="sandbox",
            )
            for _ in range(5)
        )
    )
    assert len({r["id"] for r in rows}) == 1
    assert await pool.fetchval("SELECT count(*) FROM ledger WHERE idempotency_key = $1", key) == 1


async def test_a_late_retry_of_an_older_timeline_entry_never_moves_status_back(
    pool: asyncpg.Pool,
) -> None:
    order_id = await new_order(pool)
    now = datetime.now(UTC)
    from domain.status import OrderStatus

    await orders.record_event(
        pool,
        order_id=order_id,
        seq=2,
        at=now,
        kind="shipped",
        summary="shipped",
        status=OrderStatus.SHIPPED,
    )
    await orders.record_event(
        pool, order_id=order_id, seq=1, at=now, kind="paid", summary="paid", status=OrderStatus.PAID
    )
    await orders.record_event(
        pool,
        order_id=order_id,
        seq=2,
        at=now,
        kind="shipped",
        summary="shipped",
        status=OrderStatus.SHIPPED,
    )
    row = await orders.get_order(pool, order_id)
    assert row is not None and row["status"] == "shipped"
    assert [e["seq"] for e in await orders.list_events(pool, order_id)] == [0, 1, 2]


async def test_a_replacement_reserves_all_items_or_none_and_once_per_key(
    pool: asyncpg.Pool,
) -> None:
    """KWO-DEF-1: "if in stock" is decided against the stock merchants keep here."""
    from store import stock

    merchant = f"m{uuid.uuid4().hex[:6]}"
    await stock.set_available(pool, merchant, "LAMP", 2)
    await stock.set_available(pool, merchant, "CELL", 0)
    assert not await stock.reserve(pool, merchant, "k1", {"LAMP": 1, "CELL": 1})
    assert (
        await pool.fetchval(
            "SELECT available FROM stock WHERE merchant = $1 AND sku = 'LAMP'", merchant
        )
        == 2
    )
    assert await stock.reserve(pool, merchant, "k2", {"LAMP": 2, "UNTRACKED": 5})
    assert await stock.reserve(pool, merchant, "k2", {"LAMP": 2, "UNTRACKED": 5})
    assert (
        await pool.fetchval(
            "SELECT available FROM stock WHERE merchant = $1 AND sku = 'LAMP'", merchant
        )
        == 0
    )
    assert not await stock.reserve(pool, merchant, "k3", {"LAMP": 1})
