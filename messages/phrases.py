"""Phrases that workflows write into a message's facts in English (outcomes, reasons, what to
include in a parcel, refund lines). Listed here so the catalogs carry them; the templates'
`t` filter translates a fact that matches one, and shows any other as it was written."""

from __future__ import annotations


def N_(text: str) -> str:
    return text


PHRASES = (
    # whom a claim or a question is about
    N_("order %(id)s"),
    N_("%(plan)s (subscription %(id)s)"),
    # claims' outcomes and the warranty's steps
    N_("refund"),
    N_("replace"),
    N_("reship"),
    N_("solution"),
    N_("refuse"),
    N_("refused"),
    N_("repaired"),
    N_("replaced"),
    N_("covered by the warranty"),
    N_("a service at basic cost"),
    N_("no fault was found"),
    N_("the shipping is at your cost, both ways"),
    N_("we tell you how to send it"),
    N_("(the merchant gives the address)"),
    N_("repair or replacement"),
    N_("as soon as possible"),
    # what a return parcel must hold (KWO-RMA-2, PAR-RET-3)
    N_("order number"),
    N_("product"),
    N_("quantity"),
    N_("problem description"),
    N_("original invoice"),
    N_("packing list"),
    N_("documents"),
    # refund lines
    N_("shipping"),
    N_("no refund: not approved"),
    N_("intermediary and bank fees, if any, are the customer's"),
    N_("intermediary and bank fees (the merchant's setting)"),
    # who pays customs duties, in the help centre's answer
    N_("you"),
    N_("us"),
    N_("bounded to what remains refundable"),
    # payment declines
    N_("insufficient_funds"),
    N_("card_declined"),
    N_("expired_card"),
)

# An order's status, as its customer reads it.
ORDER_STATUS = {
    "pending_payment": N_("waiting for the payment"),
    "awaiting_3ds": N_("waiting for your bank's confirmation"),
    "awaiting_paypal_approval": N_("waiting for your approval at PayPal"),
    "awaiting_invoice_payment": N_("waiting for the invoice to be paid"),
    "payment_failed": N_("payment declined"),
    "fraud_review": N_("being checked"),
    "paid": N_("paid"),
    "fulfilling": N_("being prepared"),
    "shipped": N_("shipped"),
    "in_transit": N_("on its way"),
    "delivered": N_("delivered"),
    "completed": N_("completed"),
    "cancelled": N_("cancelled"),
    "returned_to_sender": N_("came back to us"),
    "lost": N_("lost by the carrier"),
}
# A parcel's last scan.
PARCEL_STATUS = {
    "pre_transit": N_("labelled, waiting for the carrier"),
    "picked_up": N_("picked up"),
    "in_transit": N_("on its way"),
    "out_for_delivery": N_("out for delivery"),
    "delivered": N_("delivered"),
    "exception": N_("held up"),
    "return_to_sender": N_("on its way back to us"),
    "lost": N_("lost by the carrier"),
}
# The dates a customer can act on or wait for.
DEADLINES = {
    "payment_action_by": N_("Complete the payment by"),
    "invoice_expires_at": N_("Pay the invoice by"),
    "edit_window_closes_at": N_("Change the address until"),
    "dispatch_at": N_("Leaves the warehouse"),
    "delivery_expected_by": N_("Expected by"),
    "pay_reshipping_by": N_("Pay the reshipping by"),
    "return_window_closes_at": N_("Ask for a return until"),
}
RETURN_REASONS = {
    "change_of_mind": N_("I changed my mind"),
    "defective": N_("It does not work"),
    "damaged_in_shipping": N_("It arrived damaged"),
    "dead_on_arrival": N_("It never worked"),
    "wrong_item": N_("I received the wrong item"),
    "not_as_described": N_("It is not as described"),
}
