"""The customer e-mails an order sends, rendered from the order's read model."""

from __future__ import annotations

from typing import Any

from activities.card_emails import TEMPLATES as CARD_TEMPLATES
from activities.claim_emails import TEMPLATES as CLAIM_TEMPLATES
from activities.return_emails import TEMPLATES as RETURN_TEMPLATES


def _lines(order: dict[str, Any]) -> str:
    return "\n".join(
        f"  {line['quantity']} x {line['name']}  ({line['unit_price']} {order['currency']})"
        for line in order["lines"]
    )


def render(template: str, order: dict[str, Any], facts: dict[str, Any]) -> tuple[str, str]:
    """Subject and plain-text body of one message."""
    oid = order["order_id"]
    if template in RETURN_TEMPLATES:
        return RETURN_TEMPLATES[template](oid, facts)
    if template in CARD_TEMPLATES:
        return CARD_TEMPLATES[template](oid, facts)
    if template in CLAIM_TEMPLATES:
        return CLAIM_TEMPLATES[template](f"Order {oid}", facts)
    if template == "order_confirmation":
        return (
            f"Order {oid} confirmed",
            f"Thank you for your order {oid}.\n\nWe received your payment of "
            f"{order['total']} {order['currency']}.\n\n{_lines(order)}\n\n"
            + (
                "Your gift card codes follow in a separate e-mail.\n"
                if all(line.get("category") == "digital_card" for line in order["lines"])
                else "We will e-mail you the tracking number as soon as the parcel leaves.\n"
            ),
        )
    if template == "shipment_tracking":
        customs = (
            f"\n{facts['customs_notice']}: duties and taxes of the destination country may "
            "be due on delivery.\n"
            if facts.get("customs_notice")
            else ""
        )
        return (
            f"Order {oid} is on its way",
            f"Your order {oid} has been handed to {facts['carrier'].upper()}.\n\n"
            f"Tracking number: {facts['tracking_number']}\n{customs}",
        )
    if template == "payment_failed":
        retry = (
            "You may try again with another card or account from your order page.\n"
            if facts.get("may_retry", True)
            else "No further attempt is possible for this order.\n"
        )
        return (
            f"Payment for order {oid} did not go through",
            f"The payment for your order {oid} was declined ({facts.get('reason', 'declined')}).\n"
            f"No money was taken. {retry}",
        )
    if template == "payment_action_needed":
        what = (
            "approve the payment at PayPal"
            if facts.get("paypal")
            else "confirm the payment with your bank"
        )
        return (
            f"Order {oid}: one more step to pay",
            f"To complete your order {oid}, please {what} by {facts['by']}:\n\n"
            f"  {facts['url']}\n\nIf you already did, you can ignore this message.\n",
        )
    if template == "invoice":
        return (
            f"Invoice for order {oid}",
            f"Please pay {facts['amount']} for your order {oid} by {facts['expires_at']}:\n\n"
            f"  {facts['pay_url']}\n\nThe order ships once the payment is received; an unpaid "
            "invoice expires and the order is cancelled.\n",
        )
    if template == "invoice_expired":
        return (
            f"Order {oid} is cancelled: the invoice was not paid",
            f"The invoice for your order {oid} was not paid by {facts['expired_at']}, so the "
            "order is cancelled. Nothing was charged.\n",
        )
    if template == "parcel_late":
        return (
            f"Order {oid} is taking longer than expected",
            f"Your parcel {facts['tracking_number']} was expected by {facts['expected_by']}.\n"
            "We are checking with the carrier and will write again as soon as we know more.\n",
        )
    if template == "parcel_lost":
        return (
            f"Order {oid}: your parcel was lost",
            f"The carrier declared your parcel {facts['tracking_number']} lost.\n"
            + (
                "A replacement is on its way; you will get its tracking number shortly.\n"
                if facts.get("reshipped")
                else f"The items are out of stock, so we refunded {facts['refund']}.\n"
            ),
        )
    if template == "parcel_returned":
        return (
            f"Order {oid}: your parcel came back to us",
            f"Your parcel {facts['tracking_number']} was returned to us: the carrier could not "
            "deliver it to the address given, or it was refused at customs.\n\n"
            f"We send it again to a corrected address once the reshipping ({facts['fee']}) is "
            f"paid. Please give the corrected address and pay in your order by {facts['pay_by']}; "
            "after that date the items are refunded less the cost of the round trip.\n",
        )
    if template == "returned_parcel_refunded":
        return (
            f"Order {oid}: refund for your returned parcel",
            f"The reshipping of parcel {facts['tracking_number']} was not paid in time.\n\n"
            f"Refund: {facts['refund']} to your original payment method, less the cost of the "
            "parcel's round trip.\n",
        )
    if template == "order_cancelled":
        return (
            f"Order {oid} is cancelled",
            f"Your order {oid} is cancelled and nothing will be sent.\n\n"
            f"Refund: {facts['refund']} to your original payment method.\n",
        )
    if template == "operator_refund":
        return (
            f"Order {oid}: a refund is on its way",
            f"We refunded {facts['refund']} on your order {oid} to your original payment method.\n",
        )
    raise ValueError(f"unknown e-mail template {template!r}")
