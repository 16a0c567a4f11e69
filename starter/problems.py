"""RFC 9457 problem details: every refusal says what happened, which rule or field decided it,
and names its kind by a `type` URI that opens a page describing it (`/problems/{kind}`)."""

from __future__ import annotations

import html
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from starter.api import deps
from starter.observe import loggable_path
from starter.problem_kinds import DEFAULT_KIND, KINDS
from store.db import DATABASE_AWAY

log = structlog.get_logger("orderflow.api")

PROBLEM_JSON = "application/problem+json"


def limit_reached(what: str, limit: int, setting: str, field: str | None = None) -> Problem:
    """A per-order (or per-subscription) cap the merchant sets, reached: 409, naming the
    setting (not a policy clause)."""
    return Problem(
        409,
        "Limit reached",
        f"at most {limit} {what} (the merchant's setting ORDERFLOW_{setting.upper()})",
        field=field,
        kind="limit-reached",
    )


def type_uri(request: Request, kind: str) -> str:
    """The problem kind's page, absolute under the API's public address."""
    base = deps.settings(request).public_base_url.rstrip("/")
    return f"{base}/problems/{kind}"


class FieldError(BaseModel):
    field: str
    message: str


class ProblemDetails(BaseModel):
    """An RFC 9457 problem, as every refusal of this API is written."""

    type: str = Field(description="URI of a page describing this kind of problem")
    title: str
    status: int
    detail: str
    instance: str = Field(description="The path the request was sent to")
    clause: str | None = Field(None, description="The policy clause that decided it")
    field: str | None = Field(None, description="The request field it concerns")
    errors: list[FieldError] | None = Field(None, description="Each invalid field (422)")


class Problem(StarletteHTTPException):
    """A refusal the API answers as problem+json. An HTTP exception, so that a refusal raised
    while the framework reads a body reaches the client as itself."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        clause: str | None = None,
        field: str | None = None,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, detail, headers)
        self.status, self.title, self.detail = status, title, detail
        self.clause, self.field, self.headers = clause, field, headers
        self.kind = kind or (
            "policy-refusal" if clause else DEFAULT_KIND.get(status, "internal-error")
        )

    def body(self, request: Request) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": type_uri(request, self.kind),
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": request.url.path,
        }
        if self.clause:
            body["clause"] = self.clause
        if self.field:
            body["field"] = self.field
        return body

    def response(self, request: Request, **extra: Any) -> JSONResponse:
        return JSONResponse(
            {**self.body(request), **extra},
            status_code=self.status,
            media_type=PROBLEM_JSON,
            headers=self.headers,
        )


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


router = APIRouter(tags=["problems"], include_in_schema=False)


@router.get("/problems/{kind}", response_class=HTMLResponse)
async def problem_page(kind: str) -> HTMLResponse:
    """What a problem `type` URI opens: the kind's title, status and what to do."""
    if kind not in KINDS:
        raise Problem(404, "Not found", f"no problem kind named {kind!r}")
    title, status, text = (html.escape(part) for part in map(str, KINDS[kind]))
    return HTMLResponse(
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>{title}</title><h1>{title}</h1><p>HTTP status {status}</p><p>{text}</p>"
        '<p><a href="/docs">API reference</a></p></html>'
    )


def install(app: FastAPI) -> None:
    app.include_router(router)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return exc.response(request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()]
        problem = Problem(
            422,
            "Invalid request",
            "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid body",
            field=errors[0]["field"] if errors else "body",
        )
        return problem.response(request, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = DEFAULT_KIND.get(exc.status_code, "malformed-request")
        title = KINDS[kind][0]
        return Problem(exc.status_code, title, str(exc.detail), kind=kind).response(request)

    async def _away(request: Request, exc: Exception) -> JSONResponse:
        log.warning(
            "database unreachable", path=loggable_path(request.url.path), error=type(exc).__name__
        )
        return Problem(
            503,
            "Try again shortly",
            "the order store is unreachable right now; send the same request again to learn "
            "its one outcome",
            headers={"Retry-After": "2"},
        ).response(request)

    # Handlers of these classes answer inside the app; the catch-all below answers from the
    # outermost middleware, which then re-raises what it caught to the server's error log.
    for away in DATABASE_AWAY:
        app.add_exception_handler(away, _away)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        if database_away(exc):
            return await _away(request, exc)
        log.exception("unexpected error", path=loggable_path(request.url.path))
        return Problem(500, "Internal error", KINDS["internal-error"][2]).response(request)


def database_away(exc: BaseException) -> bool:
    """Whether the request failed because PostgreSQL is away, itself or as the cause of the
    error raised."""
    return isinstance(exc, DATABASE_AWAY) or isinstance(exc.__cause__, DATABASE_AWAY)


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
