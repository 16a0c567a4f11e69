"""PayPal's webhooks: sent within the last 5 minutes (PayPal itself vouches for the rest,
`PayPalGateway.verified`), and told as orderflow's payment events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

# PayPal webhook event type -> orderflow's payment event type
EVENTS = {
    "CHECKOUT.ORDER.APPROVED": "payment.authorized",
    "PAYMENT.AUTHORIZATION.CREATED": "payment.authorized",
    "PAYMENT.AUTHORIZATION.VOIDED": "payment.voided",
    "PAYMENT.CAPTURE.COMPLETED": "payment.captured",
    "PAYMENT.CAPTURE.DECLINED": "payment.failed",
    "PAYMENT.CAPTURE.DENIED": "payment.failed",
    "PAYMENT.CAPTURE.REFUNDED": "refund.succeeded",
    "PAYMENT.CAPTURE.REVERSED": "payment.reversed",
}
WEBHOOK_TOLERANCE_SECONDS = 300
TRANSMISSION_HEADERS = {
    "auth_algo": "paypal-auth-algo",
    "cert_url": "paypal-cert-url",
    "transmission_id": "paypal-transmission-id",
    "transmission_sig": "paypal-transmission-sig",
    "transmission_time": "paypal-transmission-time",
}


def first_of(items: Any) -> dict[str, Any]:
    """The first object of a PayPal list (`purchase_units`, `captures`), or an empty one."""
    return items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}


def transmitted_recently(headers: dict[str, str], now: float) -> bool:
    """Whether the transmission time PayPal signed is within the tolerance of `now`."""
    raw = headers.get(TRANSMISSION_HEADERS["transmission_time"], "")
    try:
        sent = datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return False
    return abs(now - sent) <= WEBHOOK_TOLERANCE_SECONDS


def event_of(body: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """A verified PayPal event as (event ID, orderflow's payment event); None for a type
    orderflow does not use. The payment is the PayPal order: an authorisation, capture or
    refund names it in `supplementary_data.related_ids`."""
    kind = EVENTS.get(str(body.get("event_type")))
    if kind is None:
        return None
    resource = body.get("resource") or {}
    related = (resource.get("supplementary_data") or {}).get("related_ids") or {}
    if str(body["event_type"]).startswith("CHECKOUT.ORDER."):
        payment_id = resource.get("id")
        reference = first_of(resource.get("purchase_units")).get("custom_id")
    else:
        payment_id = related.get("order_id")
        reference = resource.get("custom_id")
    data = {"id": payment_id, "reference": reference, "kind": "paypal"}
    return str(body["id"]), {"type": kind, "created": body.get("create_time"), "data": data}
