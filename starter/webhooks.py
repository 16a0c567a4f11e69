"""Webhook receivers: verify on the raw body, keep in the inbox, answer 2xx, relay later."""

from __future__ import annotations

import binascii
import json
from typing import Any

import structlog
from fastapi import APIRouter, Depends, Request
from pydantic import SecretStr
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from starter import plainjson
from starter.auth import WEBHOOK
from starter.metrics import WEBHOOKS_RECEIVED
from starter.openapi import REF, problems
from starter.problems import Problem, read_limited
from starter.provider_events import reader_for
from starter.schemas import AnswerRoute
from starter.schemas.operators import WebhookReceived
from starter.schemas.webhooks import EVENTS
from store import inbox, ledger, parcels

log = structlog.get_logger("orderflow.api.webhooks")
router = APIRouter(route_class=AnswerRoute, prefix="/v1/webhooks", tags=["webhooks"])

KINDS = ("payments", "carriers", "cards")


def webhook_secrets(settings: Any) -> dict[tuple[str, str], list[str]]:
    """Signing secrets by (kind, provider). Several, space-separated, during a rotation."""

    def split(secret: SecretStr) -> list[str]:
        return secret.get_secret_value().split()

    return {
        ("payments", "sandbox"): split(settings.payment_webhook_secret),
        ("carriers", "sandbox"): split(settings.carrier_webhook_secret),
        ("cards", "sandbox"): split(settings.card_webhook_secret),
    }


def verify(body: bytes, headers: dict[str, str], secrets: list[str]) -> None:
    for secret in secrets:
        try:
            Webhook(secret).verify(body, headers, json_parse=False)
            return
        except (WebhookVerificationError, ValueError, binascii.Error, UnicodeDecodeError):
            continue
    raise Problem(
        401,
        "Invalid webhook signature",
        "the Standard Webhooks signature does not match this body, or its timestamp "
        "is more than 5 minutes away",
        kind="invalid-signature",
    )


def order_reference(payload: dict[str, Any]) -> str | None:
    data = payload.get("data")
    ref = data.get("reference") if isinstance(data, dict) else None
    return ref if isinstance(ref, str) and ref else None


async def order_named_elsewhere(pool: Any, kind: str, payload: dict[str, Any]) -> str | None:
    """The order of an event that names only its payment or its parcel (a Stripe charge, a
    PayPal capture, an EasyPost tracker): the ledger or the parcels know it."""
    data = payload.get("data") or {}
    if kind == "payments" and isinstance(data.get("id"), str):
        return await ledger.order_of_payment(pool, data["id"])
    if kind == "carriers" and isinstance(data.get("tracking_number"), str):
        parcel = await parcels.one(pool, data["tracking_number"])
        return str(parcel["order_id"]) if parcel else None
    return None


def standard_event(body: bytes, request: Request, secrets: list[str]) -> tuple[str, dict[str, Any]]:
    """A Standard Webhooks event (the sandbox providers): verified, then read as plain JSON."""
    verify(body, dict(request.headers), secrets)
    try:
        payload = plainjson.loads(body)
    except plainjson.NotPlainJson as err:
        raise Problem(400, "Malformed event", err.reason, field=err.where) from err
    except json.JSONDecodeError as err:
        raise Problem(400, "Malformed event", "the body is not JSON", field="body") from err
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        raise Problem(
            400, "Malformed event", "the body is not a JSON event with a `type`", field="type"
        )
    return request.headers["webhook-id"], payload


EVENT_SCHEMAS = {"oneOf": [{"$ref": REF.format(model=event.__name__)} for event in EVENTS]}


@router.post(
    "/{kind}/{provider}",
    response_model=WebhookReceived,
    dependencies=[Depends(WEBHOOK)],
    responses=problems(400, 413),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A Standard Webhooks event; verified on the raw body, kept in the "
            "inbox before the answer, relayed to its order afterwards.",
            "content": {"application/json": {"schema": EVENT_SCHEMAS}},
        },
        "parameters": [
            {"name": name, "in": "header", "required": True, "schema": {"type": "string"}}
            for name in ("webhook-id", "webhook-timestamp")
        ],
    },
)
async def receive(kind: str, provider: str, request: Request) -> dict[str, Any]:
    app = request.app.state
    real = reader_for(kind, provider, app.settings)
    secrets = webhook_secrets(app.settings).get((kind, provider))
    if kind not in KINDS or (secrets is None and real is None):
        raise Problem(404, "Unknown webhook source", f"no {kind} provider named {provider!r}")
    body = await read_limited(request, app.settings.webhook_max_body_bytes, "webhook bodies")
    try:
        if real is not None:
            read = await real(body, request)
        else:
            assert secrets is not None
            read = standard_event(body, request, secrets)
    except Problem as refused:
        if refused.status_code == 401:
            WEBHOOKS_RECEIVED.labels(kind=kind, provider=provider, outcome="bad_signature").inc()
        raise
    if read is None:  # an event type orderflow does not use: acknowledged, kept nowhere
        WEBHOOKS_RECEIVED.labels(kind=kind, provider=provider, outcome="ignored").inc()
        return {"received": True, "duplicate": False}
    event_id, payload = read
    event_type = payload["type"]
    order_id = order_reference(payload) or await order_named_elsewhere(app.pool, kind, payload)
    new = await inbox.insert_webhook(
        app.pool,
        kind=kind,
        provider=provider,
        event_id=event_id,
        event_type=event_type,
        order_id=order_id,
        payload=payload,
    )
    WEBHOOKS_RECEIVED.labels(
        kind=kind, provider=provider, outcome="accepted" if new else "duplicate"
    ).inc()
    log.info(
        "webhook stored",
        kind=kind,
        provider=provider,
        event_id=event_id,
        event_type=event_type,
        order_id=order_id,
        duplicate=not new,
    )
    if new and app.relay is not None:
        app.relay.poke()
    return {"received": True, "duplicate": not new}
