"""Webhook receivers: verify on the raw body, keep in the inbox, answer 2xx, relay later."""

from __future__ import annotations

import binascii
import json
from typing import Any

import structlog
from fastapi import APIRouter, Request
from pydantic import SecretStr
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from starter.metrics import WEBHOOKS_RECEIVED
from starter.problems import Problem, read_limited
from store import inbox

log = structlog.get_logger("orderflow.api.webhooks")
router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

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
    )


def order_reference(payload: dict[str, Any]) -> str | None:
    data = payload.get("data")
    ref = data.get("reference") if isinstance(data, dict) else None
    return ref if isinstance(ref, str) and ref else None


@router.post("/{kind}/{provider}")
async def receive(kind: str, provider: str, request: Request) -> dict[str, Any]:
    app = request.app.state
    secrets = webhook_secrets(app.settings).get((kind, provider))
    if kind not in KINDS or secrets is None:
        raise Problem(404, "Unknown webhook source", f"no {kind} provider named {provider!r}")
    body = await read_limited(request, app.settings.webhook_max_body_bytes, "webhook bodies")
    try:
        verify(body, dict(request.headers), secrets)
    except Problem:
        WEBHOOKS_RECEIVED.labels(kind=kind, provider=provider, outcome="bad_signature").inc()
        raise
    try:
        payload = json.loads(body)
        event_type = str(payload["type"])
    except (ValueError, KeyError, TypeError) as err:
        raise Problem(
            400, "Malformed event", "the body is not a JSON event with a `type`", field="type"
        ) from err
    event_id = request.headers["webhook-id"]
    order_id = order_reference(payload)
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
