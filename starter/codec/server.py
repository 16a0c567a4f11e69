"""The codec server (Temporal's remote codec protocol: `POST …/encode`, `POST …/decode`, a
`Payloads` message as protobuf JSON each way), so that the Web UI and the `temporal` CLI show
orders' payloads, which Temporal only ever holds encrypted.

Two doors. An operator's credential (`Authorization: Bearer …`) on `/codec/{action}`: the
CLI's `--codec-endpoint …/codec --codec-auth "Bearer oper_…"`, or the access token of an
operator signed in to the Web UI through the merchant's OpenID Connect provider (passed by the
UI with TEMPORAL_CODEC_PASS_ACCESS_TOKEN). And, outside production only, the development Web
UI, which signs nobody in, on `/codec/ui/{key}/{action}` with the stack's `codec_ui_key`, taken
only from the Web UI's own origin. Browsers get CORS for that one origin and nothing else.
Every call leaves one audit line: who, which namespace, how many payloads, never their
content."""

from __future__ import annotations

import secrets
from typing import Literal
from urllib.parse import urlsplit

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from runtime.codec import ENCODING, EncryptionCodec, PayloadNotDecodable
from starter.api import deps
from starter.api.deps import OidcDep, SettingsDep
from starter.auth import bearer, operator_name
from starter.problems import Problem, read_limited

log = structlog.get_logger("orderflow.api.codec")
router = APIRouter(prefix="/codec", include_in_schema=False)

Action = Literal["encode", "decode"]
ALLOWED_HEADERS = "authorization, content-type, x-namespace"


def web_ui_origin(request: Request) -> str:
    """The Web UI's origin (`scheme://host:port`), from `ORDERFLOW_TEMPORAL_UI_URL`."""
    parts = urlsplit(deps.settings(request).temporal_ui_url)
    return f"{parts.scheme}://{parts.netloc}"


def cors_headers(request: Request) -> dict[str, str]:
    """CORS for the Web UI's exact origin; a browser page anywhere else is refused."""
    origin = request.headers.get("origin")
    if origin is None:
        return {}
    if origin != web_ui_origin(request):
        raise Problem(
            403, "Forbidden", f"the codec answers browsers only at {web_ui_origin(request)}"
        )
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def unauthorized(what: str) -> Problem:
    return Problem(401, "Unauthorized", what, headers={"WWW-Authenticate": "Bearer"})


async def answer(request: Request, action: Action, caller: str) -> JSONResponse:
    settings = deps.settings(request)
    headers = cors_headers(request)
    namespace = request.headers.get("x-namespace", settings.temporal_namespace)
    codec: EncryptionCodec = deps.codec(request)
    if namespace != codec.namespace:
        raise Problem(
            400, "Unknown namespace", f"this codec serves {codec.namespace!r}", field="X-Namespace"
        )
    body = await read_limited(request, settings.codec_max_body_bytes, "codec requests")
    payloads = Payloads()
    try:
        json_format.Parse(body, payloads)
    except (json_format.ParseError, UnicodeDecodeError) as err:
        raise Problem(
            400, "Malformed payloads", "the body is not Payloads as protobuf JSON"
        ) from err
    sealed = sum(p.metadata.get("encoding") == ENCODING for p in payloads.payloads)
    outcome = "ok"
    try:
        coded = (
            await codec.encode(payloads.payloads)
            if action == "encode"
            else await codec.decode(payloads.payloads)
        )
    except PayloadNotDecodable as err:
        outcome = "not_decodable"
        raise Problem(400, "Payload not decodable", str(err), field="payloads") from err
    finally:
        log.info(
            "codec call",
            action=action,
            caller=caller,
            namespace=namespace,
            payloads=len(payloads.payloads),
            encrypted=sealed,
            body_bytes=len(body),
            outcome=outcome,
        )
    return JSONResponse(json_format.MessageToDict(Payloads(payloads=coded)), headers=headers)


def preflight(request: Request) -> Response:
    headers = cors_headers(request)
    if not headers:
        raise Problem(403, "Forbidden", "a CORS preflight names its origin")
    return Response(
        status_code=204,
        headers={
            **headers,
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": "600",
        },
    )


@router.options("/{action}")
@router.options("/ui/{key}/{action}")
async def codec_preflight(request: Request) -> Response:
    return preflight(request)


@router.post("/ui/{key}/{action}")
async def codec_for_the_web_ui(
    key: str, action: Action, request: Request, settings: SettingsDep
) -> JSONResponse:
    if settings.environment == "production":
        # production's Web UI signs operators in and passes their token to `/codec/{action}`
        raise Problem(404, "Not found", "the Web UI's path key is for development only")
    expected = settings.codec_ui_key.get_secret_value()
    if not secrets.compare_digest(key.encode(), expected.encode()):
        raise unauthorized("this is not the Web UI's codec key")
    if request.headers.get("origin") != web_ui_origin(request):
        raise Problem(
            403, "Forbidden", f"the Web UI's key is taken only from {web_ui_origin(request)}"
        )
    return await answer(request, action, "web-ui")


@router.post("/{action}")
async def codec_for_operators(
    action: Action, request: Request, oidc: OidcDep, settings: SettingsDep
) -> JSONResponse:
    name = operator_name(request)
    if name is None and oidc is not None:
        name = await oidc.who(bearer(request))
    if name is None:
        if bearer(request) and secrets.compare_digest(
            bearer(request).encode(), settings.storefront_api_key.get_secret_value().encode()
        ):
            raise Problem(403, "Forbidden", "the codec is for operators, not the storefront")
        raise unauthorized("a valid operator credential is required")
    return await answer(request, action, name)
