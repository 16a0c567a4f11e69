"""The statuses an order and a return move through (the `OrderStatus` search attribute)."""

from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"  # placed, no payment outcome yet
    AWAITING_3DS = "awaiting_3ds"  # the customer must pass a 3-D Secure challenge
    AWAITING_PAYPAL_APPROVAL = "awaiting_paypal_approval"  # the customer must approve at PayPal
    AWAITING_INVOICE_PAYMENT = "awaiting_invoice_payment"  # an e-invoice was sent and is unpaid
    PAYMENT_FAILED = "payment_failed"  # the last payment attempt failed; a retry is possible
    FRAUD_REVIEW = "fraud_review"  # waiting for an operator's fraud decision
    PAID = "paid"  # money captured, waiting for the dispatch slot
    FULFILLING = "fulfilling"  # handed to the warehouse: labels bought, waiting for pickup
    SHIPPED = "shipped"  # the carrier picked the parcel up
    IN_TRANSIT = "in_transit"  # the carrier scanned the parcel on its way
    DELIVERED = "delivered"  # every parcel delivered; the return window runs
    COMPLETED = "completed"  # the return window closed; nothing more can happen
    CANCELLED = "cancelled"  # cancelled before shipment, refunded as the policy grants
    RETURNED_TO_SENDER = "returned_to_sender"  # the parcel came back to the merchant
    LOST = "lost"  # the carrier declared the parcel lost

    @property
    def is_final(self) -> bool:
        return self in {OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.LOST}

    @property
    def before_shipment(self) -> bool:
        """Nothing has left yet: the address may still change and a cancellation be asked
        (each then decided by the policy)."""
        return self in {
            OrderStatus.PENDING_PAYMENT,
            OrderStatus.AWAITING_3DS,
            OrderStatus.AWAITING_PAYPAL_APPROVAL,
            OrderStatus.AWAITING_INVOICE_PAYMENT,
            OrderStatus.PAYMENT_FAILED,
            OrderStatus.FRAUD_REVIEW,
            OrderStatus.PAID,
            OrderStatus.FULFILLING,
        }


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    AWAITING_PARCEL = "awaiting_parcel"
    EXPIRED = "expired"
    RECEIVED = "received"
    INSPECTED = "inspected"
    REFUNDED = "refunded"
    REPLACED = "replaced"
    REPAIRED = "repaired"
    CLOSED = "closed"


class SubscriptionStatus(StrEnum):
    PENDING = "pending"  # started, its first payment not decided yet
    ACTIVE = "active"
    PAST_DUE = "past_due"  # a renewal was declined; it is tried again on the preset's schedule
    CANCELLING = "cancelling"  # cancelled, kept until the period's end
    CANCELLED = "cancelled"  # cancelled and stopped at once
    ENDED = "ended"  # the period of a cancellation ended, or the renewals all failed

    @property
    def is_final(self) -> bool:
        return self in {SubscriptionStatus.CANCELLED, SubscriptionStatus.ENDED}


class ClaimStatus(StrEnum):
    OPEN = "open"  # waiting for an operator's answer or decision
    AWAITING_PRODUCT = "awaiting_product"  # warranty: the product is to be sent in
    INSPECTING = "inspecting"  # warranty: received, the workshop looks at it
    QUOTED = "quoted"  # out of warranty: a service at basic cost, waiting for the customer
    IN_REPAIR = "in_repair"
    RESOLVED = "resolved"
    REFUSED = "refused"
    ANSWERED = "answered"  # a question answered
    CLOSED = "closed"  # ended without a remedy from the merchant (quote declined, the agent)

    @property
    def is_final(self) -> bool:
        return self in {
            ClaimStatus.RESOLVED,
            ClaimStatus.REFUSED,
            ClaimStatus.ANSWERED,
            ClaimStatus.CLOSED,
        }


class ParcelPlace(StrEnum):
    """Where a returned line's parcel is."""

    AWAITING = "awaiting"
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    LOST = "lost"
    EXPIRED = "expired"


class InspectionResult(StrEnum):
    """What inspection found of a returned line."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    ACCEPTED_WITH_DEDUCTIONS = "accepted_with_deductions"
    REJECTED = "rejected"


class TrackingStatus(StrEnum):
    """Carrier scan events, in the order a parcel normally moves through them."""

    PRE_TRANSIT = "pre_transit"  # labelled, waiting for the carrier's pickup
    PICKED_UP = "picked_up"  # the carrier collected the parcel: the order has shipped
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURN_TO_SENDER = "return_to_sender"
    LOST = "lost"


TRACKING_RANK: dict[TrackingStatus, int] = {
    TrackingStatus.PRE_TRANSIT: 0,
    TrackingStatus.PICKED_UP: 1,
    TrackingStatus.IN_TRANSIT: 2,
    TrackingStatus.EXCEPTION: 2,
    TrackingStatus.OUT_FOR_DELIVERY: 3,
    TrackingStatus.DELIVERED: 4,
    TrackingStatus.RETURN_TO_SENDER: 4,
    TrackingStatus.LOST: 4,
}


class ProviderState(StrEnum):
    """How far a payment has come at its provider, as its webhooks and lookups tell."""

    REQUIRES_ACTION = "requires_action"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    FAILED = "failed"
    VOIDED = "voided"
    REVERSED = "reversed"


class MovementState(StrEnum):
    """Where a payment stands after orderflow asked its provider to move money (authorise,
    capture, void, refund, or look it up)."""

    REQUIRES_ACTION = "requires_action"  # the customer must act (3-D Secure, PayPal, invoice)
    AUTHORIZED = "authorized"
    DECLINED = "declined"
    FAILED = "failed"  # the customer did not act in time
    CAPTURED = "captured"
    VOIDED = "voided"
    REFUNDED = "refunded"
    REVERSED = "reversed"  # taken back by the payer's bank or wallet after capture


class BackReason(StrEnum):
    """Why a carrier sends a parcel back to the merchant."""

    ADDRESS = "address"  # the address was insufficient or the customer could not be found
    CUSTOMS = "customs"  # held or refused at customs (duties and taxes unpaid)
