"""Liveness, readiness (Temporal and PostgreSQL reachable) and Prometheus metrics."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from starter.metrics import TASKS_ESCALATED, TASKS_OVERDUE
from starter.schemas import AnswerRoute
from starter.schemas.operators import Health, Readiness
from store import inbox
from store.tasks import overdue_counts

router = APIRouter(route_class=AnswerRoute, tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(request: Request) -> JSONResponse:
    app = request.app.state
    checks: dict[str, Any] = {}
    try:
        await asyncio.wait_for(app.pool.fetchval("SELECT 1"), timeout=2)
        checks["postgresql"] = "ok"
    except Exception as err:  # any failure means not ready; the reason is reported
        checks["postgresql"] = f"unreachable: {type(err).__name__}"
    try:
        await asyncio.wait_for(app.temporal.service_client.check_health(), timeout=2)
        checks["temporal"] = "ok"
    except Exception as err:
        checks["temporal"] = f"unreachable: {type(err).__name__}"
    ready = all(v == "ok" for v in checks.values())
    answer: dict[str, Any] = {"status": "ready" if ready else "not ready", "checks": checks}
    if checks["postgresql"] == "ok":
        # Reported, not judged: a backlog is the relay's (any replica's), not this process's.
        answer["webhooks"] = await asyncio.wait_for(inbox.backlog(app.pool), timeout=2)
    return JSONResponse(answer, status_code=200 if ready else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics(request: Request) -> Response:
    """The API's counters, and the open tasks past their due time by kind (read from
    PostgreSQL at each scrape, so every API replica reports the same)."""
    try:
        rows = await asyncio.wait_for(overdue_counts(request.app.state.pool), timeout=2)
    except Exception:  # metrics are served without the task gauges rather than not at all
        rows = None
    if rows is not None:
        TASKS_OVERDUE.clear()
        TASKS_ESCALATED.clear()
        for row in rows:
            TASKS_OVERDUE.labels(row["kind"]).set(row["overdue"])
            TASKS_ESCALATED.labels(row["kind"]).set(row["escalated"])
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
