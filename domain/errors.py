"""Every error type orderflow raises across a Temporal boundary, in one place.

Activities raise them as `ApplicationError(type=...)`, workflows refuse updates with them and
name them non-retryable in their retry policies, and the API maps them to problem+json. The
values are part of the Temporal contract (they are kept in workflow histories): never rename
one."""

from __future__ import annotations

from enum import StrEnum


class ErrorType(StrEnum):
    # A validator's refusal of a customer's or operator's act: the API answers it as a
    # problem naming the deciding clause (and the request's field).
    EDIT_REFUSED = "EditRefused"
    CANCEL_REFUSED = "CancelRefused"
    RESHIP_REFUSED = "ReshipRefused"
    PAYMENT_RETRY_REFUSED = "PaymentRetryRefused"
    REVIEW_REFUSED = "ReviewRefused"
    REFUND_REFUSED = "RefundRefused"
    RETURN_REFUSED = "ReturnRefused"
    CARD_REPORT_REFUSED = "CardReportRefused"
    VERIFICATION_REFUSED = "VerificationRefused"
    CLAIM_REFUSED = "ClaimRefused"
    CHARGEBACK_REFUSED = "ChargebackRefused"
    # A provider's final "no": retrying the same request cannot succeed.
    PAYMENT_REJECTED = "PaymentRejected"
    LABEL_REJECTED = "LabelRejected"
    TRACKING_REJECTED = "TrackingRejected"
    CARD_REJECTED = "CardRejected"
    # A provider that cannot answer now: retried, after the wait it asked for.
    PROVIDER_UNAVAILABLE = "ProviderUnavailable"
    # What the store does not hold.
    ORDER_NOT_FOUND = "OrderNotFound"
    SUBSCRIPTION_NOT_FOUND = "SubscriptionNotFound"
    ADDRESS_CHANGE_UNKNOWN = "AddressChangeUnknown"
    # An order whose pinned policy cannot decide its dates.
    POLICY_NOT_PINNED = "PolicyNotPinned"


REFUSALS = frozenset(
    {
        ErrorType.EDIT_REFUSED,
        ErrorType.CANCEL_REFUSED,
        ErrorType.RESHIP_REFUSED,
        ErrorType.PAYMENT_RETRY_REFUSED,
        ErrorType.REVIEW_REFUSED,
        ErrorType.REFUND_REFUSED,
        ErrorType.RETURN_REFUSED,
        ErrorType.CARD_REPORT_REFUSED,
        ErrorType.VERIFICATION_REFUSED,
        ErrorType.CLAIM_REFUSED,
        ErrorType.CHARGEBACK_REFUSED,
    }
)
"""The error types of a refused act, which the API answers as the policy's refusal."""
