"""Order search over the read model: the filters operators use, newest first, keyset-paged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

# What a search row shows: enough to pick an order, nothing personal.
COLUMNS = (
    "order_id, merchant, status, currency, total, payment_method, external_reference,"
    " shipments, created_at, updated_at"
)


@dataclass(frozen=True)
class OrderFilter:
    status: tuple[str, ...] = ()
    merchant: str | None = None
    payment_method: str | None = None
    carrier: str | None = None
    external_reference: str | None = None
    tracking_number: str | None = None
    customer_ref: str | None = None
    placed_from: datetime | None = None
    placed_to: datetime | None = None

    def where(self) -> tuple[list[str], list[Any]]:
        """SQL conditions with their arguments; each uses an index of migration 010."""
        conditions: list[str] = []
        args: list[Any] = []

        def arg(value: Any) -> str:
            args.append(value)
            return f"${len(args)}"

        if self.status:
            conditions.append(f"status = ANY({arg(list(self.status))}::text[])")
        for column in ("merchant", "payment_method", "external_reference", "customer_ref"):
            value = getattr(self, column)
            if value is not None:
                conditions.append(f"{column} = {arg(value)}")
        parcel = {
            key: value
            for key, value in (("carrier", self.carrier), ("tracking_number", self.tracking_number))
            if value is not None
        }
        if parcel:
            conditions.append(f"shipments @> {arg([parcel])}::jsonb")
        if self.placed_from is not None:
            conditions.append(f"created_at >= {arg(self.placed_from)}")
        if self.placed_to is not None:
            conditions.append(f"created_at < {arg(self.placed_to)}")
        return conditions, args


async def search_orders(
    pool: asyncpg.Pool,
    found: OrderFilter,
    limit: int,
    after: tuple[datetime, str] | None = None,
) -> list[dict[str, Any]]:
    """Orders matching every filter given, newest first; `after` is the previous page's last
    (created_at, order_id)."""
    conditions, args = found.where()
    if after is not None:
        args.extend(after)
        conditions.append(f"(created_at, order_id) < (${len(args) - 1}, ${len(args)})")
    args.append(limit)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    rows = await pool.fetch(
        f"SELECT {COLUMNS} FROM orders {where}"
        f" ORDER BY created_at DESC, order_id DESC LIMIT ${len(args)}",
        *args,
    )
    return [dict(r) for r in rows]
