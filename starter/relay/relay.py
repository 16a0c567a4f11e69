"""The relay: delivers stored webhooks to their workflows as signals, whatever was down.

Rows are claimed with `FOR UPDATE SKIP LOCKED`, so any number of API replicas may run it.
It also starts the workflows of orders accepted while Temporal was unreachable.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import asyncpg
import structlog
from pydantic import ValidationError
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.decisions.payment import wakes_the_order
from domain.decisions.tracking import scan_is_news
from domain.digital import CardEvent
from domain.orders import PaymentEvent, TrackingEvent
from starter.launch import STEP_TIMEOUT, start_order_workflow
from starter.metrics import RELAYED
from starter.relay.late import accounted_for
from store import inbox, orders, returns
from store.db import DATABASE_AWAY
from workflows.names import (
    SIGNAL_CARD_EVENT,
    SIGNAL_CARRIER_EVENT,
    SIGNAL_PAYMENT_EVENT,
    order_workflow_id,
    return_workflow_id,
)

log = structlog.get_logger("orderflow.relay")

MAX_BACKOFF = timedelta(minutes=5)
SIGNAL_TIMEOUT = timedelta(seconds=5)
# Tries of one event that keeps failing for a reason of its own (not Temporal being away)
# before it is parked: set aside, with its reason, in the operators' list of webhooks no
# workflow took (`orderflow webhooks`), from where it can be sent again.
MAX_ATTEMPTS = 12
# Temporal being unreachable or overloaded: every event would fail alike, none is at fault.
OUTAGE = frozenset(
    {RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.RESOURCE_EXHAUSTED}
)


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=2 ** min(attempts, 8)), MAX_BACKOFF)


class Unmatched(Exception):
    """The event names no order this system can deliver it to."""


def signal_for(row: dict[str, Any]) -> tuple[str, Any]:
    payload, data = row["payload"], row["payload"].get("data") or {}
    if row["kind"] == "carriers":
        try:
            return SIGNAL_CARRIER_EVENT, TrackingEvent(
                event_id=row["event_id"],
                tracking_number=data.get("tracking_number"),
                status=data.get("status"),
                occurred_at=data.get("occurred_at"),
                reason=data.get("reason"),
            )
        except ValidationError as err:
            raise Unmatched(
                f"not a tracking event this system knows: {err.errors()[0]['msg']}"
            ) from err
    if row["kind"] == "cards":
        try:
            return SIGNAL_CARD_EVENT, CardEvent(
                event_id=row["event_id"],
                type=str(payload.get("type") or ""),
                card_id=data.get("id"),
                redeemed_at=data.get("redeemed_at"),
            )
        except ValidationError as err:
            raise Unmatched(
                f"not a card event this system knows: {err.errors()[0]['msg']}"
            ) from err
    return SIGNAL_PAYMENT_EVENT, PaymentEvent(
        event_id=row["event_id"],
        type=str(payload.get("type") or ""),
        payment_id=str(data["id"]) if data.get("id") else None,
    )


class Relay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        client: Client,
        task_queue: str,
        poll_seconds: float = 1.0,
        batch: int = 50,
    ) -> None:
        self._pool, self._client, self._task_queue = pool, client, task_queue
        self._poll, self._batch = poll_seconds, batch
        self._wake = asyncio.Event()

    def poke(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        deferred_checked = 0.0
        while True:
            try:
                # Webhooks wake the relay many times a second; orders whose start was deferred
                # are looked for once per poll interval.
                if time.monotonic() - deferred_checked >= self._poll:
                    deferred_checked = time.monotonic()
                    await self.start_deferred_orders()
                while await self.relay_once() == self._batch:
                    pass
            except (OSError, asyncpg.PostgresError) as err:
                log.warning("relay pass failed; will retry", error=str(err))
            except Exception:
                log.exception("relay pass failed unexpectedly; will retry")
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
            except TimeoutError:
                pass

    async def relay_once(self) -> int:
        """Deliver one batch of due events; returns how many rows it handled."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await inbox.due(conn, self._batch)
            for index, row in enumerate(rows):
                if not await self._deliver(conn, row):
                    # Temporal is unreachable: the rest of the batch would fail the same way.
                    for rest in rows[index + 1 :]:
                        await inbox.retry_later(
                            conn,
                            rest["id"],
                            "not tried: Temporal unreachable",
                            timedelta(seconds=1),
                        )
                    break
            return len(rows)

    async def _deliver(self, conn: asyncpg.Connection, row: dict[str, Any]) -> bool:
        bound = structlog.get_logger("orderflow.relay").bind(
            event_id=row["event_id"], order_id=row["order_id"], kind=row["kind"]
        )
        try:
            if await self._send(conn, row):
                return True
        except Unmatched as err:
            await inbox.mark_unmatched(conn, row["id"], str(err))
            RELAYED.labels(kind=row["kind"], outcome="unmatched").inc()
            bound.warning(
                "webhook kept for operators: no workflow to deliver it to", reason=str(err)
            )
            return True
        except RPCError as err:
            return await self._not_signalled(conn, row, err, bound)
        except (asyncpg.PostgresError, *DATABASE_AWAY):
            raise  # the pass fails and is tried again whole
        except Exception as err:
            # This event's own failure never holds up the events behind it.
            await self._failed(conn, row, f"{type(err).__name__}: {err}", bound)
            bound.exception("webhook not relayed")
            return True
        await inbox.mark_relayed(conn, row["id"])
        RELAYED.labels(kind=row["kind"], outcome="relayed").inc()
        return True

    async def _send(self, conn: asyncpg.Connection, row: dict[str, Any]) -> bool:
        """Signal the event's workflow; True when the event was settled without a signal (news
        to no one, or its order's workflow not started yet)."""
        if str(row["order_id"] or "").startswith("subscription:"):
            # a subscription's charge is answered at once (off-session): nothing waits
            await inbox.mark_informational(conn, row["id"])
            RELAYED.labels(kind=row["kind"], outcome="informational").inc()
            return True
        rma_id = await self._return_parcel(conn, row)
        if rma_id is None and not row["order_id"]:
            raise Unmatched("the event names no order")
        started = rma_id is not None or await orders.workflow_started(conn, row["order_id"])
        if started is None:
            raise Unmatched(f"no order {row['order_id']}")
        if not started:
            await inbox.retry_later(
                conn, row["id"], "order workflow not started yet", timedelta(seconds=2)
            )
            return True
        data = row["payload"].get("data") or {}
        if (
            row["kind"] == "payments" and not wakes_the_order(row["event_type"], data.get("kind"))
        ) or (row["kind"] == "carriers" and not scan_is_news(str(data.get("status")))):
            await inbox.mark_informational(conn, row["id"])
            RELAYED.labels(kind=row["kind"], outcome="informational").inc()
            return True
        name, arg = signal_for(row)
        handle = self._client.get_workflow_handle(
            return_workflow_id(rma_id) if rma_id else order_workflow_id(row["order_id"])
        )
        await handle.signal(name, arg, rpc_timeout=SIGNAL_TIMEOUT)
        return False

    async def _not_signalled(
        self, conn: asyncpg.Connection, row: dict[str, Any], err: RPCError, bound: Any
    ) -> bool:
        """Temporal did not take the signal: kept for operators when the workflow is gone,
        tried again later when Temporal is down (False: the pass stops here)."""
        if err.status == RPCStatusCode.NOT_FOUND:
            if await accounted_for(conn, row):
                await inbox.mark_informational(conn, row["id"])
                RELAYED.labels(kind=row["kind"], outcome="informational").inc()
                return True
            await inbox.mark_unmatched(conn, row["id"], f"workflow not running: {err.message}")
            RELAYED.labels(kind=row["kind"], outcome="unmatched").inc()
            bound.warning("webhook kept for operators: the order's workflow is not running")
            return True
        if err.status not in OUTAGE:
            await self._failed(conn, row, f"{err.status.name}: {err.message}", bound)
            return True
        delay = backoff(row["attempts"])
        await inbox.retry_later(conn, row["id"], f"{err.status.name}: {err.message}", delay)
        RELAYED.labels(kind=row["kind"], outcome="retry").inc()
        bound.warning(
            "relay deferred: Temporal unreachable",
            error=err.message,
            retry_in_seconds=delay.total_seconds(),
        )
        return False

    @staticmethod
    async def _failed(
        conn: asyncpg.Connection, row: dict[str, Any], error: str, bound: Any
    ) -> None:
        """Tried again after a backoff; parked for operators once it has failed too often."""
        if row["attempts"] + 1 >= MAX_ATTEMPTS:
            reason = f"parked after {row['attempts'] + 1} attempts: {error}"[:1000]
            await inbox.mark_unmatched(conn, row["id"], reason)
            RELAYED.labels(kind=row["kind"], outcome="parked").inc()
            bound.error("webhook parked for operators", reason=reason)
            return
        delay = backoff(row["attempts"])
        await inbox.retry_later(conn, row["id"], error[:1000], delay)
        RELAYED.labels(kind=row["kind"], outcome="retry").inc()

    @staticmethod
    async def _return_parcel(conn: asyncpg.Connection, row: dict[str, Any]) -> str | None:
        """The return whose parcel a carrier's event is about, if it is a return parcel."""
        if row["kind"] != "carriers":
            return None
        data = row["payload"].get("data") or {}
        number, reference = data.get("tracking_number"), data.get("reference")
        if not isinstance(number, str):
            return None
        named = reference if isinstance(reference, str) and reference else None
        return await returns.rma_of_parcel(conn, number, named)

    async def start_deferred_orders(
        self, older_than_seconds: float = STEP_TIMEOUT.total_seconds() + 5
    ) -> int:
        # Older than a placement's own attempt can last, so the two rarely start one order.
        started = 0
        async with self._pool.acquire() as conn, conn.transaction():
            for row in await orders.not_started(conn, older_than_seconds):
                try:
                    await start_order_workflow(self._client, row, self._task_queue)
                except WorkflowAlreadyStartedError:
                    # Its placement started it after all, and it has already ended.
                    log.info("deferred order found started and ended", order_id=row["order_id"])
                except RPCError as err:
                    log.warning(
                        "deferred order still not started",
                        order_id=row["order_id"],
                        error=err.message,
                    )
                    break
                except Exception:
                    # One order that cannot start never holds up the others behind it.
                    log.exception("deferred order not started; tried again next pass")
                    continue
                await orders.mark_workflow_started(conn, row["order_id"])
                started += 1
        return started
