"""What both sandbox providers do alike: bearer-key checks and idempotent POSTs."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Header, HTTPException, Request
from fastapi.responses import JSONResponse

from sandbox.state import SandboxState


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def require_key(expected: str) -> Callable[..., Awaitable[None]]:
    # async: checked on the event loop, not handed to a worker thread per request
    async def check(authorization: str = Header("")) -> None:
        if not secrets.compare_digest(authorization, f"Bearer {expected}"):
            raise HTTPException(401, "invalid API key")

    return check


def idempotent(
    state: SandboxState,
    request: Request,
    key: str | None,
    handle: Callable[[], tuple[int, dict[str, Any]]],
) -> JSONResponse:
    """Answer a repeated key with the first answer, as real providers do for 24 hours."""
    scope = f"{request.method} {request.url.path}"
    earlier = state.remembered(scope, key)
    if earlier is not None:
        return JSONResponse(
            earlier[1], status_code=earlier[0], headers={"Idempotent-Replayed": "true"}
        )
    status, body = handle()
    if status < 500:
        state.remember(scope, key, status, body)
    return JSONResponse(body, status_code=status)
