"""Events out: which timeline entries the merchant's other systems are told of, under which
event type, and what each event says. An event exists exactly when its timeline entry does:
the store writes both in one statement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

# Every event type, and what it tells; the OpenAPI document's `webhooks` section lists them.
CATALOGUE: dict[str, str] = {
    "order.placed": "an order was placed (it waits for its payment)",
    "order.paid": "the order's payment was captured",
    "order.fulfilling": "the warehouse took the order; the carrier collects at the pickup",
    "order.shipped": "the carrier collected a parcel (its tracking number)",
    "order.delivered": "every parcel of the order was delivered",
    "order.cancelled": "the order was cancelled, with the refund it granted",
    "order.refunded": "money was given back on the order (an operator, a parcel, a claim)",
    "order.edited": "the order's lines changed, or some were cancelled, with the difference",
    "return.requested": "a return was asked for",
    "return.approved": "a return was approved",
    "return.received": "a returned parcel arrived",
    "return.inspected": "a return was inspected",
    "return.refunded": "a return was refunded",
    "claim.opened": "a claim or a question was filed",
    "claim.decided": "a claim was decided (refunded, replaced, refused, a solution)",
    "gift_card.issued": "an order's gift cards were issued (never their codes)",
    "subscription.charged": "a subscription's period was charged",
    "subscription.past_due": "a subscription's renewal was declined",
    "subscription.ended": "a subscription ended",
}

# Timeline kinds, by the context whose timeline they are on, and the event each is.
_BY_KIND: dict[str, dict[str, str]] = {
    "order": {
        "placed": "order.placed",
        "paid": "order.paid",
        "fulfilment_started": "order.fulfilling",
        "shipped": "order.shipped",
        "cancelled": "order.cancelled",
        "operator_refund": "order.refunded",
        "lost_parcel_refunded": "order.refunded",
        "returned_parcel_refunded": "order.refunded",
        "order_edited": "order.edited",
        "lines_cancelled": "order.edited",
        "return_requested": "return.requested",
        "digital_cards_issued": "gift_card.issued",
    },
    "return": {
        "return_approved": "return.approved",
        "return_received": "return.received",
        "return_inspected": "return.inspected",
        "return_refunded": "return.refunded",
    },
    "claim": {
        "claim_opened": "claim.opened",
        "claim_filed": "claim.opened",
        "claim_refunded": "claim.decided",
        "claim_refused": "claim.decided",
        "claim_solution": "claim.decided",
    },
    "subscription": {
        "renewed": "subscription.charged",
        "charge_declined": "subscription.past_due",
        "subscription_ended": "subscription.ended",
        "ended": "subscription.ended",
    },
}


def event_type(context: str, kind: str, status: str | None) -> str | None:
    """The event a timeline entry is, or None for an entry told to no one."""
    if context == "order" and status == "delivered":
        return "order.delivered"
    return _BY_KIND.get(context, {}).get(kind)


class EventData(BaseModel):
    """What every event says: the entry of the timeline it is, and whose it is."""

    order_id: str | None = Field(None, description="the order it is about, when one")
    subscription_id: str | None = None
    rma_id: str | None = None
    claim_id: str | None = None
    status: str | None = Field(None, description="the status the entry moved it to, if any")
    summary: str = Field(description="what happened, in English, as on the timeline")
    clauses: list[str] = Field(description="the policy clauses that decided it")
    details: dict[str, Any] = Field(
        default_factory=dict, description="IDs and amounts (no card data, no codes)"
    )
    customer: dict[str, Any] | None = Field(
        None, description="the customer's e-mail and address: only to an endpoint allowed it"
    )


class Event(BaseModel):
    """One event as delivered: signed with the Standard Webhooks scheme (`webhook-id` is
    `id`); at least once, in order per order for each endpoint."""

    id: str
    type: str
    timestamp: datetime
    data: EventData


def event_data(
    context: str,
    key: str,
    *,
    order_id: str | None,
    status: str | None,
    summary: str,
    clauses: tuple[str, ...] | list[str],
    details: dict[str, Any] | None,
) -> dict[str, Any]:
    """The event's data, as kept in the outbox (personal data is added at delivery only)."""
    owner = {"return": "rma_id", "claim": "claim_id", "subscription": "subscription_id"}
    data: dict[str, Any] = {
        "order_id": order_id,
        "status": status,
        "summary": summary,
        "clauses": list(clauses),
        "details": details or {},
    }
    if context in owner:
        data[owner[context]] = key
    return data
