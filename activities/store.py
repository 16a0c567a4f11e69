"""Store activities: the read models and timelines of orders, returns and subscriptions,
address changes, stock, tasks."""

from __future__ import annotations

from typing import Any

import asyncpg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.models import (
    ApplyAddressChange,
    ApplyLineEdit,
    ClaimEvent,
    EditStock,
    OperatorTask,
    OrderEvent,
    ReserveReplacement,
    ReturnEvent,
)
from domain.errors import ErrorType
from domain.subscriptions import SubscriptionEvent
from store import addresses, claims, customers, edits, orders, returns, stock, subscriptions, tasks


async def order_row(pool: asyncpg.Pool, order_id: str) -> dict[str, Any]:
    order = await orders.get_order(pool, order_id)
    if order is None:
        raise ApplicationError(
            f"order {order_id} is not in the database",
            type=ErrorType.ORDER_NOT_FOUND,
            non_retryable=True,
        )
    return order


class StoreActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name="record_order_event")
    async def record_order_event(self, event: OrderEvent) -> None:
        await orders.record_event(self._pool, **dict(event))

    @activity.defn(name="customer_order_count")
    async def customer_order_count(self, order_id: str) -> int:
        """Orders the same customer placed with this merchant in the 24 hours before this one."""
        return await customers.recent_orders_by_customer(self._pool, order_id)

    @activity.defn(name="apply_address_change")
    async def apply_address_change(self, request: ApplyAddressChange) -> None:
        if not await addresses.apply(self._pool, request.order_id, request.change_id):
            raise ApplicationError(
                f"address change {request.change_id} is not one of order {request.order_id}",
                type=ErrorType.ADDRESS_CHANGE_UNKNOWN,
                non_retryable=True,
            )

    @activity.defn(name="reserve_edit_stock")
    async def reserve_edit_stock(self, request: EditStock) -> bool:
        """Reserve the units an edit adds; False when a SKU tracked here has too few."""
        order = await order_row(self._pool, request.order_id)
        merchant = str(order["merchant"])
        return await stock.reserve(self._pool, merchant, request.reservation_key, request.units)

    @activity.defn(name="release_edit_stock")
    async def release_edit_stock(self, request: EditStock) -> None:
        """Give back what an edit reserved, when its difference could not be charged."""
        order = await order_row(self._pool, request.order_id)
        await stock.unreserve(self._pool, str(order["merchant"]), request.reservation_key)

    @activity.defn(name="apply_line_edit")
    async def apply_line_edit(self, request: ApplyLineEdit) -> None:
        """The read model takes the order's new lines and totals; the units it no longer
        takes go back to stock, once."""
        order = await order_row(self._pool, request.order_id)
        totals = (request.items_total.amount, request.shipping_total.amount, request.total.amount)
        lines = [line.model_dump(mode="json") for line in request.lines]
        await edits.set_lines(self._pool, request.order_id, lines, totals)
        if request.release:
            key = f"{request.edit_key}:release"
            await stock.give_back(self._pool, str(order["merchant"]), key, request.release)

    @activity.defn(name="reserve_replacement")
    async def reserve_replacement(self, request: ReserveReplacement) -> bool:
        """Reserve the order's items again, for a replacement parcel; False when out of stock."""
        order = await order_row(self._pool, request.order_id)
        wanted: dict[str, int] = dict(request.items or {})
        for line in order["lines"] if request.items is None else []:
            if int(line.get("parcel", 1)) != request.parcel:
                continue
            wanted[line["sku"]] = wanted.get(line["sku"], 0) + int(line["quantity"])
        return await stock.reserve(
            self._pool, str(order["merchant"]), request.reservation_key, wanted
        )

    @activity.defn(name="record_return_event")
    async def record_return_event(self, event: ReturnEvent) -> None:
        await returns.record_event(self._pool, **dict(event))

    @activity.defn(name="record_subscription_event")
    async def record_subscription_event(self, event: SubscriptionEvent) -> None:
        await subscriptions.record_event(self._pool, event)

    @activity.defn(name="set_operator_task")
    async def set_operator_task(self, task: OperatorTask) -> None:
        """Open (or, with `closed`, close) a task waiting on a person; idempotent by key."""
        if task.closed:
            await tasks.close(self._pool, task.task_key)
        else:
            await tasks.open_task(
                self._pool,
                task_key=task.task_key,
                order_id=task.order_id,
                kind=task.kind,
                summary=task.summary,
                due_at=task.due_at,
                clauses=task.clauses,
                subscription_id=task.subscription_id,
                ref=task.ref,
                priority=task.priority,
            )

    @activity.defn(name="record_claim_event")
    async def record_claim_event(self, event: ClaimEvent) -> None:
        await claims.record_event(self._pool, **dict(event))
