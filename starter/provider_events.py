"""Providers' webhooks, each verified its provider's way and told as orderflow's events: the
sandboxes (Standard Webhooks), Stripe (a signed header with a timestamp), PayPal (PayPal's
verify-webhook-signature call), EasyPost (an HMAC of the body)."""

from __future__ import annotations

import binascii
import json
import time
from functools import partial
from typing import Any

from fastapi import Request
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from adapters.carriers import easypost
from adapters.errors import ProviderRejected, ProviderUnavailable
from adapters.payments import paypal_terms as paypal
from adapters.payments import stripe as stripe_payments
from runtime.settings import Environment
from starter import plainjson
from starter.api import deps
from starter.problems import Problem

Read = tuple[str, dict[str, Any]] | None


def invalid_signature(detail: str) -> Problem:
    return Problem(401, "Invalid webhook signature", detail, kind="invalid-signature")


def plain(body: bytes, provider: str) -> dict[str, Any]:
    """A verified body, still read as plain JSON only, as every event kept."""
    try:
        payload = plainjson.loads(body)
    except (plainjson.NotPlainJson, json.JSONDecodeError) as err:
        raise Problem(
            400, "Malformed event", f"not a {provider} event: {err}", field="body"
        ) from err
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), str):
        raise Problem(400, "Malformed event", f"not a {provider} event with an `id`", field="id")
    return payload


def _secrets(secret: Any) -> list[str]:
    """Signing secrets: several, space-separated, during a rotation."""
    return list(secret.get_secret_value().split()) if secret is not None else []


def verify(body: bytes, headers: dict[str, str], secrets: list[str]) -> None:
    """A Standard Webhooks signature by any of the secrets, within 5 minutes; else 401."""
    for secret in secrets:
        try:
            Webhook(secret).verify(body, headers, json_parse=False)
            return
        except (WebhookVerificationError, ValueError, binascii.Error, UnicodeDecodeError):
            continue
    raise invalid_signature(
        "the Standard Webhooks signature does not match this body, or its timestamp "
        "is more than 5 minutes away"
    )


async def standard_event(body: bytes, request: Request, secrets: list[str]) -> Read:
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


async def stripe_event(body: bytes, request: Request) -> Read:
    """A Stripe event, verified on the raw body (`Stripe-Signature`, 300 s tolerance)."""
    secrets = _secrets(deps.settings(request).stripe_webhook_secret)
    try:
        event = stripe_payments.event_of(body, request.headers.get("stripe-signature", ""), secrets)
    except stripe_payments.stripe.SignatureVerificationError as err:
        raise invalid_signature(
            "the Stripe-Signature header does not match this body, or its timestamp is more "
            "than 5 minutes away"
        ) from err
    except (ValueError, KeyError) as err:
        raise Problem(400, "Malformed event", f"not a Stripe event: {err}", field="body") from err
    plain(body, "Stripe")
    return event


async def paypal_event(body: bytes, request: Request) -> Read:
    """A PayPal event, sent within the last 5 minutes and verified by PayPal itself for this
    endpoint's webhook ID. PayPal unreachable: 503, and PayPal sends it again."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    if not paypal.transmitted_recently(headers, time.time()):
        raise invalid_signature("the PayPal transmission time is missing or over 5 minutes away")
    payload = plain(body, "PayPal")
    try:
        gateway, settings = deps.paypal(request), deps.settings(request)
        assert gateway is not None, "PayPal's webhooks are read only where PayPal takes payments"
        genuine = await gateway.verified(payload, headers, settings.paypal_webhook_id)
    except ProviderUnavailable as err:
        raise Problem(503, "PayPal unreachable", "the event could not be verified yet") from err
    except ProviderRejected as err:
        raise invalid_signature(f"PayPal refused to verify the event: {err}") from err
    if not genuine:
        raise invalid_signature("PayPal does not vouch for this event on this webhook")
    return paypal.event_of(payload)


async def easypost_event(body: bytes, request: Request) -> Read:
    """An EasyPost event, its HMAC checked on the raw body (no timestamp: the inbox's event
    IDs catch a replay)."""
    secrets = _secrets(deps.settings(request).easypost_webhook_secret)
    header = request.headers.get(easypost.SIGNATURE_HEADER, "")
    if not easypost.signed_by(body, header, secrets):
        raise invalid_signature("the X-Hmac-Signature header does not match this body")
    return easypost.event_of(plain(body, "EasyPost"))


# (kind, provider) -> (whether the settings switch it on, its reader)
READERS = {
    ("payments", "stripe"): (lambda s: s.stripe_webhook_secret is not None, stripe_event),
    ("payments", "paypal"): (lambda s: s.wallet_gateway == "paypal", paypal_event),
    ("carriers", "easypost"): (lambda s: s.easypost_webhook_secret is not None, easypost_event),
}


# kind -> the setting holding the sandbox's signing secrets for it
SANDBOX_SECRETS = {
    "payments": "payment_webhook_secret",
    "carriers": "carrier_webhook_secret",
    "cards": "card_webhook_secret",
}


def sandbox_serves(kind: str, settings: Any) -> bool:
    """Whether the sandbox is this system's provider of `kind`: never in production, and
    for payments and parcels only while no real provider is configured for them."""
    if kind not in SANDBOX_SECRETS or settings.environment == Environment.PRODUCTION:
        return False
    if kind == "payments":
        return "sandbox" in (settings.payment_gateway, settings.wallet_gateway)
    if kind == "carriers":
        return bool(settings.tracking_service == "carrier")
    return True


def reader_for(kind: str, provider: str, settings: Any) -> Any:
    """The reader of a provider's events: the sandbox's while the sandbox is the provider of
    that kind, or a real provider's when the settings switch it on; None for a source this
    system does not take (404, nothing stored)."""
    if provider == "sandbox":
        if not sandbox_serves(kind, settings):
            return None
        return partial(standard_event, secrets=_secrets(getattr(settings, SANDBOX_SECRETS[kind])))
    switched_on, read = READERS.get((kind, provider), (None, None))
    return read if switched_on is not None and switched_on(settings) else None
