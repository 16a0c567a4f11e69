"""Events that reach the relay after their order's workflow ended: repeats of what the order
already knows are kept for the record; the rest go before operators."""

from __future__ import annotations

from typing import Any

import asyncpg

from domain.decisions.payment import known_after_the_order
from domain.decisions.tracking import scan_known_after_the_order
from store import ledger, orders


async def accounted_for(conn: asyncpg.Connection, row: dict[str, Any]) -> bool:
    """An event late for an order that has ended, telling nothing the order's record does
    not already hold (a provider or carrier retrying, duplicates): kept as informational.
    A payment event is checked against the ledger, a carrier scan against the parcel."""
    data = row["payload"].get("data") or {}
    if row["kind"] == "carriers" and row["order_id"]:
        recorded = await orders.parcel_status(
            conn, row["order_id"], str(data.get("tracking_number"))
        )
        return scan_known_after_the_order(str(data.get("status")), recorded)
    if row["kind"] != "payments" or not row["order_id"] or not data.get("id"):
        return False
    states = await ledger.states_of(conn, row["order_id"], str(data["id"]))
    return known_after_the_order(row["event_type"], states)
