"""Order search for operators, over the PostgreSQL read model (the Temporal Web UI finds
workflows; this finds orders by what a shop and a carrier know of them)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query

from domain.policy import Carrier, PaymentMethod
from domain.status import OrderStatus
from starter import paging
from starter.api.deps import PoolDep
from starter.auth import operator_router
from starter.problems import Problem
from starter.schemas.operators import OrderList, UnmatchedList
from starter.views import money_json
from store import inbox, search
from store.customers import customer_ref

router = operator_router(400)

_REF = re.compile(r"^[0-9a-f]{64}$")


def _customer(value: str | None) -> str | None:
    """A customer is searched by e-mail (hashed here, as the read model keeps it) or by the
    reference an earlier answer showed."""
    if value is None:
        return None
    if "@" in value:
        return customer_ref(value)
    if _REF.match(value):
        return value
    raise Problem(
        422, "Bad customer", "give the customer's e-mail or customer reference", field="customer"
    )


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise Problem(422, "Time zone missing", "give the time with its offset", field=field)
    return value


def _row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "order_id": row["order_id"],
        "merchant": row["merchant"],
        "external_reference": row["external_reference"],
        "status": row["status"],
        "total": money_json(row["total"], row["currency"]),
        "payment_method": row["payment_method"],
        "parcels": [
            {
                "carrier": s.get("carrier"),
                "tracking_number": s.get("tracking_number"),
                "status": s.get("status"),
            }
            for s in row["shipments"]
        ],
        "placed_at": row["created_at"],
        "updated_at": row["updated_at"],
        "links": {"self": f"/v1/orders/{row['order_id']}"},
    }


@router.get("/orders", response_model=OrderList)
async def search_orders(
    pool: PoolDep,
    status: Annotated[list[OrderStatus] | None, Query()] = None,
    merchant: Annotated[str | None, Query(max_length=41)] = None,
    payment_method: PaymentMethod | None = None,
    carrier: Carrier | None = None,
    external_reference: Annotated[str | None, Query(max_length=64)] = None,
    tracking_number: Annotated[str | None, Query(max_length=64)] = None,
    customer: Annotated[
        str | None, Query(max_length=254, description="e-mail or customer reference")
    ] = None,
    placed_from: Annotated[datetime | None, Query(description="inclusive, with offset")] = None,
    placed_to: Annotated[datetime | None, Query(description="exclusive, with offset")] = None,
    limit: paging.Limit = 50,
    cursor: paging.Cursor = None,
) -> dict[str, Any]:
    """Orders matching every filter given, newest first; `next_cursor` pages on. Repeat
    `status` for several. No personal data in the rows: open an order for its details."""
    found = search.OrderFilter(
        status=tuple(s.value for s in status or ()),
        merchant=merchant,
        payment_method=payment_method.value if payment_method else None,
        carrier=carrier.value if carrier else None,
        external_reference=external_reference,
        tracking_number=tracking_number,
        customer_ref=_customer(customer),
        placed_from=_aware(placed_from, "placed_from"),
        placed_to=_aware(placed_to, "placed_to"),
    )
    after = paging.decode(cursor, paging.when, str)
    rows = await search.search_orders(pool, found, limit, after)
    return paging.page(
        [_row(r) for r in rows], rows, limit, lambda r: [r["created_at"], r["order_id"]]
    )


@router.get("/webhooks/unmatched", response_model=UnmatchedList)
async def unmatched_webhooks(
    pool: PoolDep, limit: paging.Limit = 100, cursor: paging.Cursor = None
) -> dict[str, Any]:
    """Webhooks kept because no order workflow could take them, newest first."""
    after = paging.decode(cursor, paging.when, int)
    rows = await inbox.unmatched(pool, limit, after)
    return paging.page(rows, rows, limit, lambda r: [r["received_at"], r["id"]])
