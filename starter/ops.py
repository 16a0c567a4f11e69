"""Operator endpoints (operator key): what needs a person's attention."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from starter.auth import require_operator
from starter.problems import Problem
from store import inbox, stock

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


class StockLevel(BaseModel):
    available: int = Field(ge=0, le=10_000_000)


@router.put("/stock/{merchant}/{sku}")
async def set_stock(merchant: str, sku: str, level: StockLevel, request: Request) -> dict[str, Any]:
    """Units available of a SKU; replacements for lost parcels are reserved from it."""
    if merchant not in request.app.state.presets:
        raise Problem(404, "Unknown merchant", f"no policy preset named {merchant!r}")
    await stock.set_available(request.app.state.pool, merchant, sku, level.available)
    return {"merchant": merchant, "sku": sku, "available": level.available}
