"""Rate limits at the door, counted by the `limits` library in a moving window: per customer
token, per storefront or operator key, per client address for customers and anyone without a
credential, and per client address for failed authentications. A request over a limit is a
429 problem+json with `Retry-After`, before any route (or credential lookup) runs.

The counters live in `ORDERFLOW_RATE_LIMIT_STORAGE`: this process's memory by default (each
API replica counts for itself), or a shared store (`redis://…`, `memcached://…`) so replicas
count together."""

from __future__ import annotations

import hashlib
import json
import math
import time
from typing import Any

import structlog
from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from store import operators

log = structlog.get_logger("orderflow.api.limits")

# Paths that are never limited: probes, and the API's own documents.
EXEMPT = ("/healthz", "/readyz", "/static/", "/docs", "/openapi.json", "/problems/")
# Providers send in bursts and are verified by signature: their source is not counted per
# address (a failed signature is, as a failed authentication).
WEBHOOKS = "/v1/webhooks/"


def _async_storage(url: str) -> str:
    return url if url.startswith("async+") else f"async+{url}"


def _bearer(scope: Scope) -> str:
    for name, value in scope.get("headers") or ():
        if name == b"authorization":
            kind, _, credential = value.decode("latin-1").partition(" ")
            return credential.strip() if kind.lower() == "bearer" else ""
    return ""


class RateLimits:
    def __init__(self, app: ASGIApp, settings: Any) -> None:
        self.app = app
        self.limiter = MovingWindowRateLimiter(
            storage_from_string(_async_storage(settings.rate_limit_storage))
        )
        self.per_address = parse(settings.rate_limit_per_address)
        self.per_token = parse(settings.rate_limit_per_token)
        self.per_key = parse(settings.rate_limit_per_key)
        self.unauthorized = parse(settings.rate_limit_unauthorized)
        self.keys = {
            settings.storefront_api_key.get_secret_value(),
            settings.operator_api_key.get_secret_value(),
        }
        self.base_url = settings.public_base_url.rstrip("/")

    def _counted(
        self, path: str, address: str, credential: str
    ) -> list[tuple[RateLimitItem, str, str]]:
        """The limits this request counts against, each with what it is counted by."""
        counted: list[tuple[RateLimitItem, str, str]] = []
        if credential:
            digest = hashlib.sha256(credential.encode()).hexdigest()[:32]
            if credential in self.keys or credential.startswith(operators.PREFIX):
                return [(self.per_key, "key", digest)]
            counted.append((self.per_token, "token", digest))
        if not path.startswith(WEBHOOKS):
            counted.append((self.per_address, "address", address))
        return counted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(EXEMPT):
            await self.app(scope, receive, send)
            return
        address = (scope.get("client") or ("unknown", 0))[0]
        if not await self.limiter.test(self.unauthorized, "unauthorized", address):
            await self._refuse(send, path, self.unauthorized, ("unauthorized", address))
            return
        for limit, kind, who in self._counted(path, address, _bearer(scope)):
            if not await self.limiter.hit(limit, kind, who):
                await self._refuse(send, path, limit, (kind, who))
                return

        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                await self.limiter.hit(self.unauthorized, "unauthorized", address)
            await send(message)

        await self.app(scope, receive, noting)

    async def _refuse(
        self, send: Send, path: str, limit: RateLimitItem, counted: tuple[str, str]
    ) -> None:
        stats = await self.limiter.get_window_stats(limit, *counted)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        log.warning("rate limited", limit=str(limit), counted_by=counted[0], path=path)
        body = json.dumps(
            {
                "type": f"{self.base_url}/problems/rate-limited",
                "title": "Too many requests",
                "status": 429,
                "detail": f"at most {limit} of these requests; send it again in {retry_after} s",
                "instance": path if not path.startswith("/codec/ui/") else "/codec/ui/…",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"retry-after", str(retry_after).encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
