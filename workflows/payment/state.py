"""The payment context's own state, and how its phase ends."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.orders import PaymentStep, RetryPayment
    from domain.status import MovementState

# The provider states of an attempt that went through.
PAID = (MovementState.AUTHORIZED, MovementState.CAPTURED)


class Paid(StrEnum):
    """How the payment phase ended."""

    PAID = "paid"  # captured, checks passed
    UNPAID = "unpaid"  # failed for good or the invoice expired: the order ends here
    CANCEL = "cancel"  # a cancellation is to be carried out


@dataclass
class PaymentState:
    """The payment context's own state."""

    attempt: int = 0
    step: PaymentStep | None = None
    retry: RetryPayment | None = None
    retry_waiting: bool = False  # a retry came while the attempt before it was still decided
    card_country: str | None = None
    settled: bool = False
