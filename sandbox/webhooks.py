"""Delivers the sandbox's webhooks like a real provider: signed, retried with back-off, and
with chaos on, twice and out of order."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime

import httpx
import structlog
from standardwebhooks.webhooks import Webhook

from sandbox.state import SandboxState

log = structlog.get_logger("orderflow.sandbox.webhooks")

MAX_BACKOFF_SECONDS = 60.0


def signed_headers(
    secret: str, event_id: str, body: bytes, at: datetime | None = None
) -> dict[str, str]:
    at = at or datetime.now(UTC)
    signature = Webhook(secret).sign(event_id, at, body.decode())
    return {
        "content-type": "application/json",
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


class WebhookSender:
    def __init__(
        self,
        state: SandboxState,
        base_url: str,
        secrets: dict[str, str],
        *,
        chaos: bool = False,
    ) -> None:
        self._state = state
        self._chaos = chaos
        self._base_url = base_url.rstrip("/")
        self._secrets = secrets  # kind ("payments" or "carriers") -> signing secret
        self._http = httpx.AsyncClient(timeout=10.0)

    async def deliver_due(self) -> int:
        due = self._state.all(
            "SELECT id, kind, body, attempts FROM outbox WHERE delivered_at IS NULL AND next_at <= ?"
            " ORDER BY next_at LIMIT 50",
            time.time(),
        )
        if self._chaos:
            random.shuffle(due)
        delivered = 0
        for row in due:
            body = row["body"].encode()
            url = f"{self._base_url}/{row['kind']}/sandbox"
            try:
                response = await self._http.post(
                    url,
                    content=body,
                    headers=signed_headers(self._secrets[row["kind"]], row["id"], body),
                )
                ok, error = response.is_success, f"HTTP {response.status_code}"
            except httpx.HTTPError as err:
                ok, error = False, f"{type(err).__name__}: {err}"
            if ok:  # every delivery kept, so that duplicates and their order can be measured
                self._state.run(
                    "INSERT INTO deliveries (event_id, delivered_at) VALUES (?, ?)",
                    row["id"],
                    time.time(),
                )
            if ok and self._chaos and row["attempts"] == 0:
                # delivered; it will be delivered once more, a little later
                self._state.run(
                    "UPDATE outbox SET attempts = 1, next_at = ? WHERE id = ?",
                    time.time() + random.uniform(0.05, 0.5),
                    row["id"],
                )
                delivered += 1
            elif ok:
                self._state.run(
                    "UPDATE outbox SET delivered_at = ?, attempts = attempts + 1 WHERE id = ?",
                    time.time(),
                    row["id"],
                )
                delivered += 1
            else:
                backoff = min(2.0 ** row["attempts"], MAX_BACKOFF_SECONDS)
                self._state.run(
                    "UPDATE outbox SET attempts = attempts + 1, next_at = ?,"
                    " last_error = ? WHERE id = ?",
                    time.time() + backoff,
                    error,
                    row["id"],
                )
                log.warning(
                    "webhook delivery failed",
                    event_id=row["id"],
                    error=error,
                    retry_in_seconds=backoff,
                )
        return delivered

    async def run(self, interval: float = 0.2) -> None:
        while True:
            try:
                await self.deliver_due()
            except Exception:
                log.exception("webhook delivery loop failed")
            await asyncio.sleep(interval)

    async def aclose(self) -> None:
        await self._http.aclose()
