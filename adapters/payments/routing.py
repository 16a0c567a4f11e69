"""Cards to one gateway, PayPal to another, behind the one payment gateway protocol.

A new payment goes by its token ("paypal", or a card's); every later call goes by the
payment's ID, which each gateway knows by its shape (`pi_…` at Stripe, PayPal's 17-character
order IDs, `pay_…` at the sandbox). Workflows never learn which gateway holds a payment.
"""

from __future__ import annotations

from datetime import datetime

from adapters.payments import PaymentGateway, PaymentResult, RefundResult
from domain.money import Money


class PaymentRouter:
    def __init__(self, cards: PaymentGateway, wallets: PaymentGateway) -> None:
        self._cards, self._wallets = cards, wallets
        self.name = f"{cards.name}+{wallets.name}"

    def owns(self, payment_id: str) -> bool:
        return self._cards.owns(payment_id) or self._wallets.owns(payment_id)

    def _by_token(self, payment_token: str) -> PaymentGateway:
        return self._wallets if payment_token == "paypal" else self._cards

    def _by_id(self, payment_id: str) -> PaymentGateway:
        return self._wallets if self._wallets.owns(payment_id) else self._cards

    def name_for(self, *, payment_token: str | None, payment_id: str | None) -> str:
        """Which gateway a call goes to, as the ledger records it."""
        if payment_id is not None:
            return self._by_id(payment_id).name
        return self._by_token(payment_token or "").name

    async def authorize(
        self,
        *,
        amount: Money,
        payment_token: str,
        reference: str,
        idempotency_key: str,
        three_d_secure: bool = False,
    ) -> PaymentResult:
        return await self._by_token(payment_token).authorize(
            amount=amount,
            payment_token=payment_token,
            reference=reference,
            idempotency_key=idempotency_key,
            three_d_secure=three_d_secure,
        )

    async def create_invoice(
        self, *, amount: Money, reference: str, expires_at: datetime, idempotency_key: str
    ) -> PaymentResult:
        return await self._cards.create_invoice(
            amount=amount,
            reference=reference,
            expires_at=expires_at,
            idempotency_key=idempotency_key,
        )

    async def charge_saved(
        self, *, amount: Money, payment_token: str, reference: str, idempotency_key: str
    ) -> PaymentResult:
        return await self._cards.charge_saved(
            amount=amount,
            payment_token=payment_token,
            reference=reference,
            idempotency_key=idempotency_key,
        )

    async def capture(
        self, *, payment_id: str, amount: Money, idempotency_key: str
    ) -> PaymentResult:
        return await self._by_id(payment_id).capture(
            payment_id=payment_id, amount=amount, idempotency_key=idempotency_key
        )

    async def void(self, *, payment_id: str, idempotency_key: str) -> PaymentResult:
        return await self._by_id(payment_id).void(
            payment_id=payment_id, idempotency_key=idempotency_key
        )

    async def refund(self, *, payment_id: str, amount: Money, idempotency_key: str) -> RefundResult:
        return await self._by_id(payment_id).refund(
            payment_id=payment_id, amount=amount, idempotency_key=idempotency_key
        )

    async def lookup(self, payment_id: str) -> PaymentResult:
        return await self._by_id(payment_id).lookup(payment_id)

    async def aclose(self) -> None:
        await self._cards.aclose()
        if self._wallets is not self._cards:
            await self._wallets.aclose()
