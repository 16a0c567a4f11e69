"""Liveness and readiness (Temporal and PostgreSQL reachable) on the public port; Prometheus
metrics on an address of their own. Readiness tells anyone whether the API is ready, and
only operators why not and how the relay's backlog stands."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from prometheus_client import start_http_server

from starter.api.deps import PoolDep, TemporalDep
from starter.api.routing import AnswerRoute
from starter.auth import operator_name
from starter.metrics import TASKS_ESCALATED, TASKS_OVERDUE
from starter.schemas.operators import Health, Readiness
from store import inbox
from store.tasks import overdue_counts

log = structlog.get_logger("orderflow.api.health")
router = APIRouter(route_class=AnswerRoute, tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(request: Request, pool: PoolDep, temporal: TemporalDep) -> JSONResponse:
    checks: dict[str, Any] = {}
    try:
        await asyncio.wait_for(pool.fetchval("SELECT 1"), timeout=2)
        checks["postgresql"] = "ok"
    except Exception as err:  # any failure means not ready; the reason is reported
        checks["postgresql"] = f"unreachable: {type(err).__name__}"
    try:
        await asyncio.wait_for(temporal.service_client.check_health(), timeout=2)
        checks["temporal"] = "ok"
    except Exception as err:
        checks["temporal"] = f"unreachable: {type(err).__name__}"
    ready = all(v == "ok" for v in checks.values())
    answer: dict[str, Any] = {"status": "ready" if ready else "not ready"}
    if operator_name(request) is None:
        return JSONResponse(answer, status_code=200 if ready else 503)
    answer["checks"] = checks
    if checks["postgresql"] == "ok":
        # Reported, not judged: a backlog is the relay's (any replica's), not this process's.
        answer["webhooks"] = await asyncio.wait_for(inbox.backlog(pool), timeout=2)
    return JSONResponse(answer, status_code=200 if ready else 503)


async def refresh_task_gauges(pool: Any, every: float) -> None:
    """The open tasks past their due time by kind, read from PostgreSQL on an interval, so
    every API replica reports the same."""
    while True:
        try:
            rows = await asyncio.wait_for(overdue_counts(pool), timeout=2)
        except Exception as err:  # metrics are served without fresh gauges rather than not at all
            log.warning("task gauges not refreshed", error=type(err).__name__)
        else:
            TASKS_OVERDUE.clear()
            TASKS_ESCALATED.clear()
            for row in rows:
                TASKS_OVERDUE.labels(row["kind"]).set(row["overdue"])
                TASKS_ESCALATED.labels(row["kind"]).set(row["escalated"])
        await asyncio.sleep(every)


def serve_metrics(address: str | None) -> Any:
    """The API's Prometheus endpoint on its own address (not the public port): a server to
    `shutdown()`, or None when metrics are off."""
    if not address:
        return None
    host, _, port = address.rpartition(":")
    server, _thread = start_http_server(int(port), addr=host or "127.0.0.1")
    return server
