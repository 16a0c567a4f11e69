"""Payment gateways: the protocol every gateway implements, and the sandbox over HTTP."""

from __future__ import annotations

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


class PaymentResult(BaseModel):
    payment_id: str
    state: PaymentState
    decline_code: str | None = None
    next_action_url: str | None = None


class RefundResult(BaseModel):
    refund_id: str
    payment_id: str
    state: str


class PaymentGateway(Protocol):
    name: str

    async def authorize(
        self, *, amount: Money, payment_token: str, reference: str, idempotency_key: str
    ) -> PaymentResult: ...

    async def capture(
        self, *, payment_id: str, amount: Money, idempotency_key: str
    ) -> PaymentResult: ...

    async def void(self, *, payment_id: str, idempotency_key: str) -> PaymentResult: ...

    async def refund(
        self, *, payment_id: str, amount: Money, idempotency_key: str
    ) -> RefundResult: ...

    async def lookup(self, payment_id: str) -> PaymentResult: ...
