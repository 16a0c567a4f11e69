"""The customer e-mails an order sends, rendered from the order's read model."""

from __future__ import annotations

from typing import Any


def _lines(order: dict[str, Any]) -> str:
    return "\n".join(
        f"  {line['quantity']} x {line['name']}  ({line['unit_price']} {order['currency']})"
        for line in order["lines"]
    )


def render(template: str, order: dict[str, Any], facts: dict[str, Any]) -> tuple[str, str]:
    """Subject and plain-text body of one message."""
    oid = order["order_id"]
    if template == "order_confirmation":
        return (
            f"Order {oid} confirmed",
            f"Thank you for your order {oid}.\n\nWe received your payment of "
            f"{order['total']} {order['currency']}.\n\n{_lines(order)}\n\n"
            "We will e-mail you the tracking number as soon as the parcel leaves.\n",
        )
    if template == "shipment_tracking":
        return (
            f"Order {oid} is on its way",
            f"Your order {oid} has been handed to {facts['carrier'].upper()}.\n\n"
            f"Tracking number: {facts['tracking_number']}\n",
        )
    if template == "payment_failed":
        return (
            f"Payment for order {oid} did not go through",
            f"The payment for your order {oid} was declined ({facts.get('reason', 'declined')}).\n"
            "No money was taken. You may try again with another card.\n",
        )
    raise ValueError(f"unknown e-mail template {template!r}")
