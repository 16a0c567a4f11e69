"""A delivered order on the time-skipping server, and the acts of a return on it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from domain.calendar import pin_calendar
from domain.money import Money
from domain.orders import FraudDecision, FraudVerdict, OrderLine, OrderSnapshot
from domain.policy import Carrier
from domain.returns import (
    EvidenceKind,
    Inspection,
    LineInspection,
    ReturnLineAsk,
    ReturnOpened,
    ReturnRequested,
    ReturnReview,
    ReturnShipment,
    ReturnSnapshot,
)
from domain.status import OrderStatus, ReturnStatus, TrackingStatus
from tests.domain.helpers import preset
from tests.integration.harness import wait_for
from tests.workflows.fakes import FakeWorld, order_input, picked_up, running_order, scan_of
from workflows import names


@dataclass
class Delivered:
    env: WorkflowEnvironment
    world: FakeWorld
    order: WorkflowHandle[Any, Any]
    snapshot: OrderSnapshot
    asked: list[str] = field(default_factory=list)

    async def ask(self, reason: str, *lines: tuple[str, int], **facts: Any) -> ReturnOpened:
        rma_id = f"rma_{uuid.uuid4().hex[:16]}"
        self.asked.append(rma_id)
        request = ReturnRequested(
            rma_id=rma_id,
            reason=reason,
            lines=[
                ReturnLineAsk(sku=sku, quantity=qty, **facts.pop("line", {})) for sku, qty in lines
            ],
            **facts,
        )
        opened: ReturnOpened = await self.order.execute_update(
            names.UPDATE_REQUEST_RETURN, request, result_type=ReturnOpened
        )
        return opened

    def ret(self, rma_id: str) -> WorkflowHandle[Any, Any]:
        return self.env.client.get_workflow_handle(names.return_workflow_id(rma_id))

    async def state(self, rma_id: str) -> ReturnSnapshot:
        snap: ReturnSnapshot = await self.ret(rma_id).query(
            names.QUERY_RETURN, result_type=ReturnSnapshot
        )
        return snap

    async def reaches(self, rma_id: str, status: ReturnStatus) -> ReturnSnapshot:
        async def there() -> ReturnSnapshot | None:
            snap = await self.state(rma_id)
            return snap if snap.status is status else None

        found: ReturnSnapshot = await wait_for(there, within=30)
        return found

    async def approve(self, rma_id: str, approve: bool = True) -> ReturnSnapshot:
        await self.reaches(rma_id, ReturnStatus.REQUESTED)
        snap: ReturnSnapshot = await self.ret(rma_id).execute_update(
            names.UPDATE_REVIEW_RETURN,
            ReturnReview(approve=approve, operator="Inès (returns desk)"),
            result_type=ReturnSnapshot,
        )
        return snap

    async def send_back(self, rma_id: str, tracking: str = "RET-0001") -> None:
        await self.reaches(rma_id, ReturnStatus.AWAITING_PARCEL)
        await self.ret(rma_id).execute_update(
            names.UPDATE_RETURN_SHIPMENT,
            ReturnShipment(carrier=Carrier.DHL, tracking_number=tracking),
            result_type=ReturnSnapshot,
        )

    async def arrives(self, rma_id: str) -> ReturnSnapshot:
        snap = await self.state(rma_id)
        assert snap.tracking_number
        at = await self.env.get_current_time()
        await self.ret(rma_id).signal(
            names.SIGNAL_CARRIER_EVENT,
            scan_of(snap.tracking_number, TrackingStatus.DELIVERED, at),
        )
        return await self.reaches(rma_id, ReturnStatus.RECEIVED)

    async def inspect(self, rma_id: str, *lines: LineInspection) -> ReturnSnapshot:
        await self.reaches(rma_id, ReturnStatus.RECEIVED)
        snap: ReturnSnapshot = await self.ret(rma_id).execute_update(
            names.UPDATE_INSPECT_RETURN,
            Inspection(lines=list(lines), operator="Jānis (warehouse)"),
            result_type=ReturnSnapshot,
        )
        return snap

    def refunds(self) -> list[str]:
        return [c for c in self.world.calls if c.startswith("refund:")]


def good(sku: str, **found: Any) -> LineInspection:
    return LineInspection(sku=sku, acceptable=True, **found)


EVIDENCE = (EvidenceKind.ITEM, EvidenceKind.PACKAGING, EvidenceKind.OUTER_LABEL)


@asynccontextmanager
async def delivered(
    env: WorkflowEnvironment,
    merchant: str,
    lines: list[tuple[str, str, int, str]],
    shipping: str = "0",
    world: FakeWorld | None = None,
    days_before_delivery: int = 0,
) -> AsyncIterator[Delivered]:
    """An order of `merchant` with (sku, price, quantity, category) lines, paid, collected and
    delivered `days_before_delivery` days after its placement (time skipped)."""
    world = world or FakeWorld()
    policy = preset(merchant)
    base = order_input(f"rt-{uuid.uuid4().hex[:8]}", policy)
    order_lines = [
        OrderLine(sku=sku, name=sku.title(), unit_price=Decimal(price), quantity=qty, category=cat)
        for sku, price, qty, cat in lines
    ]
    items = sum(
        (
            Money(amount=x.unit_price, currency=policy.currency).times(x.quantity)
            for x in order_lines
        ),
        Money.zero(policy.currency),
    )
    ship = Money(amount=Decimal(shipping), currency=policy.currency)
    now = await env.get_current_time()
    order = base.model_copy(
        update={
            "policy": pin_calendar(policy, now),
            "lines": order_lines,
            "items_total": items,
            "shipping_total": ship,
            "total": items + ship,
            "placed_at": now,
            "destination_country": "FR",
        }
    )
    async with running_order(env, world, order) as handle:

        async def scheduled() -> OrderSnapshot | None:
            now = await handle.query(names.QUERY_ORDER, result_type=OrderSnapshot)
            if now.status is OrderStatus.FRAUD_REVIEW:  # cardnet holds large orders
                await handle.execute_update(
                    names.UPDATE_REVIEW_FRAUD,
                    FraudDecision(verdict=FraudVerdict.APPROVE, operator="Fraud desk"),
                )
            return now if now.dispatch_at else None

        slot = (await wait_for(scheduled, within=30)).dispatch_at
        if slot > await env.get_current_time():
            await env.sleep(slot - await env.get_current_time())
        snapshot = await picked_up(env, handle)
        if days_before_delivery:
            await env.sleep(timedelta(days=days_before_delivery))
        at = await env.get_current_time()
        await handle.signal(
            names.SIGNAL_CARRIER_EVENT,
            scan_of(snapshot.shipments[0].tracking_number, TrackingStatus.DELIVERED, at),
        )

        async def arrived() -> OrderSnapshot | None:
            now = await handle.query(names.QUERY_ORDER, result_type=OrderSnapshot)
            return now if now.status is OrderStatus.DELIVERED else None

        order = Delivered(env, world, handle, await wait_for(arrived, within=30))
        try:
            yield order
        finally:
            # The order ends while its worker still runs, and its returns with it (their parent
            # close policy).
            with suppress(RPCError):
                await handle.terminate("test finished")
