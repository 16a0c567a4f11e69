"""RFC 9457 problem details: every refusal says what happened, which rule or field decided it."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = structlog.get_logger("orderflow.api")

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        clause: str | None = None,
        field: str | None = None,
        type_: str = "about:blank",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.clause, self.field, self.type, self.headers = clause, field, type_, headers

    def body(self, instance: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
        }
        if self.clause:
            body["clause"] = self.clause
        if self.field:
            body["field"] = self.field
        return body


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return JSONResponse(
            exc.body(request.url.path),
            status_code=exc.status,
            media_type=PROBLEM_JSON,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()]
        first = errors[0]["field"] if errors else "body"
        body = Problem(
            422,
            "Invalid request",
            "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid body",
            field=first,
        ).body(request.url.path)
        body["errors"] = errors
        return JSONResponse(body, status_code=422, media_type=PROBLEM_JSON)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized"}.get(
            exc.status_code, "Request refused"
        )
        return JSONResponse(
            Problem(exc.status_code, title, str(exc.detail)).body(request.url.path),
            status_code=exc.status_code,
            media_type=PROBLEM_JSON,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", path=request.url.path)
        return JSONResponse(
            Problem(
                500,
                "Internal error",
                "the request failed unexpectedly; nothing was changed unless a later read shows it",
            ).body(request.url.path),
            status_code=500,
            media_type=PROBLEM_JSON,
        )


async def read_limited(request: Request, limit: int, what: str, field: str | None = None) -> bytes:
    """The request's body, refused with 413 as soon as it is known to pass `limit` bytes
    (by its Content-Length, or while it streams in)."""
    too_large = Problem(413, "Body too large", f"{what} are limited to {limit} bytes", field=field)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise too_large
    return bytes(body)
