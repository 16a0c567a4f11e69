"""PayPal's orders and webhooks in orderflow's terms: an order's payment state (by its capture,
else its authorisation, else the order), and events sent within the last 5 minutes (PayPal
itself vouches for the rest, `PayPalGateway.verified`) told as orderflow's payment events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapters import WEBHOOK_TOLERANCE_SECONDS
from adapters.errors import ProviderRejected
from adapters.payments import PaymentResult, PaymentState

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


def payments_of(order: dict[str, Any]) -> dict[str, Any]:
    """The payments of the order's (single) purchase unit."""
    return first_of(order.get("purchase_units")).get("payments") or {}


# a PayPal order's status before it is authorised -> orderflow's payment state
ORDER_STATES = {
    "CREATED": PaymentState.REQUIRES_ACTION,
    "SAVED": PaymentState.REQUIRES_ACTION,
    "PAYER_ACTION_REQUIRED": PaymentState.REQUIRES_ACTION,
    "APPROVED": PaymentState.REQUIRES_ACTION,  # authorised by `lookup` before it answers
    "VOIDED": PaymentState.VOIDED,
}
AUTHORIZATION_STATES = {
    "CREATED": PaymentState.AUTHORIZED,
    "PENDING": PaymentState.AUTHORIZED,
    "CAPTURED": PaymentState.CAPTURED,
    "PARTIALLY_CAPTURED": PaymentState.CAPTURED,
    "DENIED": PaymentState.DECLINED,
    "VOIDED": PaymentState.VOIDED,
    "EXPIRED": PaymentState.VOIDED,
}
CAPTURE_STATES = {
    "COMPLETED": PaymentState.CAPTURED,
    "PENDING": PaymentState.CAPTURED,  # PayPal has taken it; it settles later
    "DECLINED": PaymentState.DECLINED,
    "FAILED": PaymentState.DECLINED,
    "REFUNDED": PaymentState.REFUNDED,
    "PARTIALLY_REFUNDED": PaymentState.CAPTURED,
    "REVERSED": PaymentState.REVERSED,  # the payer's dispute took it back
}


def capture_result(payment_id: str, capture: dict[str, Any]) -> PaymentResult:
    """orderflow's view of a payment by its capture's own status (a declined capture keeps
    PayPal's reason)."""
    state = CAPTURE_STATES.get(str(capture.get("status")))
    if state is None:
        raise ProviderRejected(f"paypal: capture {capture.get('id')} {capture.get('status')}")
    reason = (capture.get("status_details") or {}).get("reason")
    return PaymentResult(
        payment_id=payment_id,
        state=state,
        decline_code=(reason or "declined") if state is PaymentState.DECLINED else None,
    )


def result_of(order: dict[str, Any]) -> PaymentResult:
    """orderflow's view of a PayPal order: its capture, else its authorisation, else the order."""
    payments = payments_of(order)
    capture, authorization = (
        first_of(payments.get("captures")),
        first_of(payments.get("authorizations")),
    )
    decline: str | None = None
    lapses: datetime | None = None
    if capture:
        return capture_result(str(order["id"]), capture)
    if authorization:
        state = AUTHORIZATION_STATES.get(str(authorization.get("status")))
        decline = (authorization.get("status_details") or {}).get("reason")
        if state is PaymentState.AUTHORIZED and authorization.get("expiration_time"):
            lapses = datetime.fromisoformat(str(authorization["expiration_time"]))
    else:
        state = ORDER_STATES.get(str(order.get("status")))
    if state is None:
        raise ProviderRejected(f"paypal: order {order.get('id')} in a state not known here")
    link = next(
        (ln.get("href") for ln in order.get("links") or [] if ln.get("rel") == "payer-action"),
        None,
    )
    return PaymentResult(
        payment_id=str(order["id"]),
        state=state,
        decline_code=(decline or "declined") if state is PaymentState.DECLINED else None,
        next_action_url=link if state is PaymentState.REQUIRES_ACTION else None,
        capture_before=lapses,
    )


def transmitted_recently(headers: dict[str, str], now: float) -> bool:
    """Whether the transmission time PayPal signed is within the tolerance of `now`."""
    raw = headers.get(TRANSMISSION_HEADERS["transmission_time"], "")
    try:
        sent = datetime.fromisoformat(raw).timestamp()
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
