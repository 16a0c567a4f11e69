"""Operator endpoints (operator key): what needs a person's attention."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from starter.auth import require_operator
from starter.problems import Problem
from store import inbox

router = APIRouter(prefix="/v1/ops", tags=["operators"], dependencies=[Depends(require_operator)])


@router.get("/webhooks/unmatched")
async def unmatched_webhooks(request: Request) -> dict[str, Any]:
    """Webhooks kept because no order workflow could take them."""
    return {"items": await inbox.unmatched(request.app.state.pool)}


@router.post("/webhooks/{inbox_id}/requeue", status_code=202)
async def requeue_webhook(inbox_id: int, request: Request) -> dict[str, Any]:
    if not await inbox.requeue(request.app.state.pool, inbox_id):
        raise Problem(404, "Not requeued", f"inbox row {inbox_id} is not an unmatched webhook")
    request.app.state.relay and request.app.state.relay.poke()
    return {"requeued": inbox_id}
