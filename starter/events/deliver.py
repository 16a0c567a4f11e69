"""The delivery of events out: each due delivery (the oldest not delivered of its order, for
its endpoint) is POSTed signed with the Standard Webhooks scheme, under the current secret and,
after a rotation, the one before it. A 2xx delivers it; anything else is tried again after a
backoff, and past the retry budget it is parked with the ones behind it, the endpoint marked
failing and an operator task opened. Rows are locked `FOR UPDATE SKIP LOCKED`: any number of
API replicas may run it. A failing endpoint never holds up the others, nor `/readyz`."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import structlog
from standardwebhooks.webhooks import Webhook

from runtime.settings import Settings
from starter.metrics import EVENTS_DELIVERED, EVENTS_OLDEST_WAITING
from store import endpoints, orders, outbox, tasks
from store.db import DATABASE_AWAY
from store.sealing import Sealer

log = structlog.get_logger("orderflow.events")


def signed(secrets: list[str], event_id: str, at: datetime, body: str) -> dict[str, str]:
    """The Standard Webhooks headers, with one signature per secret (space-separated)."""
    signatures = " ".join(Webhook(secret).sign(event_id, at, body) for secret in secrets)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": "orderflow-events/1",
    }


class EventDeliverer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        sealer: Sealer,
        settings: Settings,
        poll_seconds: float = 1.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._pool, self._sealer, self._settings = pool, sealer, settings
        self._poll = poll_seconds
        self._client = client or httpx.AsyncClient(timeout=settings.events_timeout_seconds)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def run(self) -> None:
        while True:
            try:
                while await self.deliver_due():
                    pass
                await self.measure()
            except asyncio.CancelledError:
                raise
            except DATABASE_AWAY as err:
                log.warning("events out paused: database unreachable", error=str(err))
            except Exception:
                log.exception("events out pass failed; tried again next pass")
            await asyncio.sleep(self._poll)

    async def deliver_due(self) -> int:
        """One pass over what is due; how many deliveries were tried."""
        async with self._pool.acquire() as conn, conn.transaction():
            due = await outbox.due(conn)
            for row in due:
                await self._deliver(conn, row)
        return len(due)

    async def measure(self) -> None:
        for endpoint_id, age in (await outbox.oldest_waiting(self._pool)).items():
            EVENTS_OLDEST_WAITING.labels(endpoint=endpoint_id).set(age)

    async def _body(self, row: dict[str, Any]) -> str:
        data = dict(row["data"])
        if row["personal_data"] and data.get("order_id"):
            order = await orders.get_order(self._pool, data["order_id"])
            if order is not None:
                data["customer"] = {
                    "email": (order["customer"] or {}).get("email"),
                    "shipping_address": order["shipping_address"],
                }
        event = {
            "id": row["event_id"],
            "type": row["type"],
            "timestamp": row["at"].isoformat(),
            "data": data,
        }
        return json.dumps(event, separators=(",", ":"), default=str)

    async def _deliver(self, conn: asyncpg.Connection, row: dict[str, Any]) -> None:
        bound = log.bind(
            endpoint_id=row["endpoint_id"], event_id=row["event_id"], event_type=row["type"]
        )
        now = datetime.now(UTC)
        body = await self._body(row)
        headers = signed(
            endpoints.signing_secrets(self._sealer, row, now), row["event_id"], now, body
        )
        try:
            answer = await self._client.post(row["url"], content=body, headers=headers)
            error = None if answer.is_success else f"HTTP {answer.status_code}"
        except httpx.HTTPError as err:
            error = f"{type(err).__name__}: {err}"
        if error is None:
            if await outbox.delivered(conn, row["endpoint_id"], row["event_id"]):
                await tasks.close_all(self._pool, "events_parked", row["endpoint_id"])
                bound.info("endpoint healthy again")
            EVENTS_DELIVERED.labels(outcome="delivered").inc()
            return
        if now - row["created_at"] >= row["retry_for"]:  # the endpoint's own budget
            parked = await outbox.park(
                conn, row["endpoint_id"], row["stream"], row["position"], error
            )
            EVENTS_DELIVERED.labels(outcome="parked").inc()
            bound.error("event parked after its retry budget", error=error, parked=parked)
            await self._task(row, parked, error)
            return
        wait = min(
            timedelta(seconds=2 ** min(row["attempts"], 16)),
            timedelta(seconds=self._settings.events_max_backoff_seconds),
        )
        await outbox.retry_later(conn, row["endpoint_id"], row["event_id"], error, wait)
        EVENTS_DELIVERED.labels(outcome="retry").inc()
        bound.warning(
            "event not taken; tried again later", error=error, retry_in=wait.total_seconds()
        )

    async def _task(self, row: dict[str, Any], parked: int, error: str) -> None:
        """An operator's task on the order whose events were parked."""
        stream: str = row["stream"]
        subscription = (
            stream.removeprefix("subscription:") if stream.startswith("subscription:") else None
        )
        await tasks.open_task(
            self._pool,
            task_key=_task_key(row),
            order_id=None if subscription else stream,
            subscription_id=subscription,
            kind="events_parked",
            summary=f"{parked} event(s) to {row['url']} parked ({error}): mend the endpoint, then"
            f" `orderflow events replay {row['endpoint_id']}`",
            due_at=None,
            clauses=(),
            ref=row["endpoint_id"],
        )


def _task_key(row: dict[str, Any]) -> str:
    return f"{row['stream']}:events_parked:{row['endpoint_id']}"
