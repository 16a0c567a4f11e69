"""Liveness, readiness (Temporal and PostgreSQL reachable) and Prometheus metrics."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
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
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
