"""What every request leaves behind: its log context, one JSON access-log line, a latency
observation by route, and (when tracing is on) a server span the workflows it starts join."""

from __future__ import annotations

import time

import structlog
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access = structlog.get_logger("orderflow.api.access")

REQUEST_SECONDS = Histogram(
    "orderflow_http_request_duration_seconds",
    "API request latency by route template",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def route_of(scope: Scope) -> str:
    """The route's template (`/v1/orders/{order_id}`), never the raw path: IDs and tokens stay
    out of labels and span names."""
    route = scope.get("route")
    return str(getattr(route, "path", "")) or "unmatched"


def loggable_path(path: str) -> str:
    """The path as logs keep it: the Web UI's codec key (`/codec/ui/{key}/…`) masked."""
    if path.startswith("/codec/ui/"):
        parts = path.split("/")
        return "/".join([*parts[:3], "{key}", *parts[4:]])
    return path


class RequestObservation:
    """Plain ASGI, so a request costs no extra task and stream as an `http` middleware
    would."""

    def __init__(self, app: ASGIApp, tracer: trace.Tracer | None = None) -> None:
        self.app = app
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(method=method, path=loggable_path(scope["path"]))
        status = 500
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        span = (
            self.tracer.start_span(f"{method} {loggable_path(scope['path'])}", kind=SpanKind.SERVER)
            if self.tracer is not None
            else None
        )
        try:
            if span is None:
                await self.app(scope, receive, sending)
            else:
                with trace.use_span(span, end_on_exit=False):
                    await self.app(scope, receive, sending)
        finally:
            elapsed = time.perf_counter() - started
            route = route_of(scope)
            REQUEST_SECONDS.labels(method, route, str(status)).observe(elapsed)
            if span is not None:
                span.update_name(f"{method} {route}")
                span.set_attributes(
                    {
                        "http.request.method": method,
                        "http.route": route,
                        "http.response.status_code": status,
                    }
                )
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
                span.end()
            access.info(
                "request",
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 1),
            )
