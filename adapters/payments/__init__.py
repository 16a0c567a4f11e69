"""Payment gateways: the protocol every gateway implements, and the sandbox over HTTP."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel

from domain.money import Money


class PaymentState(StrEnum):
    AUTHORIZED = "authorized"
    REQUIRES_ACTION = "requires_action"
    DECLINED = "declined"
    CAPTURED = "captured"
    VOIDED = "voided"
    REFUNDED = "refunded"
    REVERSED = "reversed"  # taken back by the payer's bank or wallet after capture


class PaymentResult(BaseModel):
    payment_id: str
    state: PaymentState
    decline_code: str | None = None
    next_action_url: str | None = None
    card_country: str | None = None
    # when the provider lets an authorisation lapse if it is neither captured nor voided
    capture_before: datetime | None = None


class RefundResult(BaseModel):
    refund_id: str
    payment_id: str
    state: str


class PaymentGateway(Protocol):
    name: str

    def owns(self, payment_id: str) -> bool:
        """Whether `payment_id` is one of this gateway's payments (by the shape of its IDs)."""
        ...

    async def authorize(
        self,
        *,
        amount: Money,
        payment_token: str,
        reference: str,
        idempotency_key: str,
        three_d_secure: bool = False,
    ) -> PaymentResult:
        """Authorise a card (by its token) or start a PayPal payment (`payment_token` is
        "paypal"). A payment that needs the customer answers REQUIRES_ACTION with a URL."""
        ...

    async def create_invoice(
        self, *, amount: Money, reference: str, expires_at: datetime, idempotency_key: str
    ) -> PaymentResult:
        """An e-invoice with a pay link (`next_action_url`); paid means captured."""
        ...

    async def charge_saved(
        self, *, amount: Money, payment_token: str, reference: str, idempotency_key: str
    ) -> PaymentResult:
        """Charge a saved payment method without the customer present (a renewal): captured
        at once, or declined (nothing can challenge the customer)."""
        ...

    async def capture(
        self, *, payment_id: str, amount: Money, idempotency_key: str
    ) -> PaymentResult: ...

    async def void(self, *, payment_id: str, idempotency_key: str) -> PaymentResult: ...

    async def refund(
        self, *, payment_id: str, amount: Money, idempotency_key: str
    ) -> RefundResult: ...

    async def lookup(self, payment_id: str) -> PaymentResult: ...

    async def aclose(self) -> None: ...
