"""What orderflow's business metrics read: counts from the read model, the ledger, the
webhook inbox and the operators' tasks, the same for every process that asks."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from store.tasks import overdue_counts


@dataclass
class Snapshot:
    orders: dict[str, int] = field(default_factory=dict)
    movements: dict[tuple[str, str], int] = field(default_factory=dict)
    webhooks_pending: int = 0
    webhooks_unmatched: int = 0
    oldest_pending_seconds: float = 0.0
    tasks_overdue: dict[str, int] = field(default_factory=dict)


async def snapshot(pool: asyncpg.Pool) -> Snapshot:
    async with pool.acquire() as db:
        orders = await db.fetch("SELECT status, count(*) AS n FROM orders GROUP BY status")
        movements = await db.fetch(
            "SELECT movement, status, count(*) AS n FROM ledger GROUP BY movement, status"
        )
        inbox = await db.fetchrow(
            "SELECT count(*) FILTER (WHERE relay_state = 'pending') AS pending,"
            " count(*) FILTER (WHERE relay_state = 'unmatched') AS unmatched,"
            " coalesce(extract(epoch FROM now() - min(received_at)"
            "   FILTER (WHERE relay_state = 'pending')), 0) AS oldest"
            " FROM webhook_inbox WHERE relay_state IN ('pending', 'unmatched')"
        )
    return Snapshot(
        orders={r["status"]: r["n"] for r in orders},
        movements={(r["movement"], r["status"]): r["n"] for r in movements},
        webhooks_pending=inbox["pending"],
        webhooks_unmatched=inbox["unmatched"],
        oldest_pending_seconds=float(inbox["oldest"]),
        tasks_overdue={r["kind"]: r["overdue"] for r in await overdue_counts(pool)},
    )
