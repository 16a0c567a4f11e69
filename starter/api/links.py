"""Where the API sends a customer: the order page (with a link token that opens it), and a
provider's hosted page to visit while the order waits for them, which comes back to the
order page once done."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from runtime.tokens import Links
from starter.api import deps


def page_path(request: Request, order_id: str) -> str:
    """The customer's order page, with a `link` token that opens it."""
    return links(request).order_page(order_id)


def returning_to_page(request: Request, order_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """A payment page to visit comes back to the order page once done (`return_url`). The
    sandbox's pages are told so here; a real provider was told when the payment was made."""
    action, status = body.get("next_action"), body.get("status")
    if not action or status not in HOSTED_PAGES:
        return body
    settings = deps.settings(request)
    hosted_by = settings.payment_gateway if status == "awaiting_3ds" else settings.wallet_gateway
    if hosted_by != "sandbox":
        return body
    back = urlencode({"return_url": links(request, settings.public_base_url).return_page(order_id)})
    url = action["url"] + ("&" if "?" in action["url"] else "?") + back
    return {**body, "next_action": {**action, "url": url}}


# Statuses whose next action is a provider's page the customer comes back from.
HOSTED_PAGES = ("awaiting_3ds", "awaiting_paypal_approval")


AWAITING_CUSTOMER = ("awaiting_3ds", "awaiting_paypal_approval", "awaiting_invoice_payment")


def next_action(status: str, timeline: list[dict[str, Any]]) -> dict[str, Any]:
    """The page the customer must visit while the order waits for them, if it does."""
    if status not in AWAITING_CUSTOMER:
        return {}
    for event in reversed(timeline):
        url = (event.get("details") or {}).get("next_action_url")
        if url and event.get("status") == status:
            return {"next_action": {"type": "redirect", "url": url}}
    return {}


def links(request: Request, base_url: str = "") -> Links:
    settings = deps.settings(request)
    return Links(
        base_url,
        settings.order_token_secret.get_secret_value(),
        link_lifetime=timedelta(days=settings.link_token_lifetime_days),
        return_lifetime=timedelta(hours=settings.return_link_lifetime_hours),
    )
