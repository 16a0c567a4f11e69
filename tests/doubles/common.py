"""What every provider double shares: an HTTP server of its own, idempotent answers, webhooks."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qsl

import httpx
from fastapi import Request
from fastapi.responses import JSONResponse


def new_id(prefix: str = "", length: int = 14) -> str:
    return prefix + secrets.token_hex(length)[:length]


class Double:
    """Answers kept by idempotency key (the provider's own rule), and webhooks sent to the API."""

    def __init__(self, webhook_url: str) -> None:
        self.webhook_url = webhook_url
        self.answers: dict[str, tuple[int, Any]] = {}

    def once(self, key: str | None, make: Any) -> JSONResponse:
        """The first answer under `key`, again for every retry of it."""
        if key is None or key not in self.answers:
            answer = make()
            if key is None:
                return JSONResponse(answer[1], status_code=answer[0])
            self.answers[key] = answer
        status, body = self.answers[key]
        return JSONResponse(body, status_code=status)

    async def deliver(self, body: bytes, headers: dict[str, str]) -> int:
        async with httpx.AsyncClient(timeout=10) as http:
            answer = await http.post(
                self.webhook_url,
                content=body,
                headers={"Content-Type": "application/json", **headers},
            )
        return answer.status_code


async def form(request: Request) -> dict[str, str]:
    """A form-encoded body (Stripe's), flattened keys kept as sent (`metadata[order_id]`)."""
    return dict(parse_qsl((await request.body()).decode()))
