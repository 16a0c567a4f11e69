"""Webhook receivers: verify on the raw body, keep in the inbox, answer 2xx, relay later."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import APIRouter, Depends, Request

from starter.api.deps import PoolDep, RelayDep, SettingsDep
from starter.api.routing import AnswerRoute
from starter.auth import WEBHOOK
from starter.metrics import WEBHOOKS_RECEIVED
from starter.openapi import REF, problems
from starter.problems import Problem, read_limited
from starter.provider_events import reader_for
from starter.schemas.operators import WebhookReceived
from starter.schemas.webhooks import EVENTS
from store import inbox, ledger, parcels

log = structlog.get_logger("orderflow.api.webhooks")
router = APIRouter(route_class=AnswerRoute, prefix="/v1/webhooks", tags=["webhooks"])


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


# The headers providers sign with: a signature is ASCII, anything else is malformed (400).
SIGNATURE_HEADERS = (
    "webhook-signature",
    "webhook-id",
    "webhook-timestamp",
    "stripe-signature",
    "x-hmac-signature",
    "paypal-transmission-sig",
)

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
async def receive(
    kind: str,
    provider: str,
    request: Request,
    pool: PoolDep,
    relay: RelayDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    read_event = reader_for(kind, provider, settings)
    if read_event is None:
        raise Problem(404, "Unknown webhook source", f"no {kind} provider named {provider!r}")
    for name in SIGNATURE_HEADERS:
        if not request.headers.get(name, "").isascii():
            raise Problem(400, "Malformed signature", f"the {name} header is not ASCII", field=name)
    body = await read_limited(request, settings.webhook_max_body_bytes, "webhook bodies")
    try:
        read = await read_event(body, request)
    except Problem as refused:
        if refused.status_code == 401:
            WEBHOOKS_RECEIVED.labels(kind=kind, provider=provider, outcome="bad_signature").inc()
        raise
    if read is None:  # an event type orderflow does not use: acknowledged, kept nowhere
        WEBHOOKS_RECEIVED.labels(kind=kind, provider=provider, outcome="ignored").inc()
        return {"received": True, "duplicate": False}
    event_id, payload = read
    event_type = payload["type"]
    order_id = order_reference(payload) or await order_named_elsewhere(pool, kind, payload)
    new = await inbox.insert_webhook(
        pool,
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
    if new and relay is not None:
        relay.poke()
    return {"received": True, "duplicate": not new}
