"""The sandbox gateway's client: the same calls a real card gateway takes, over HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapters.http import ProviderClient
from adapters.payments import PaymentResult, PaymentState, RefundResult
from domain.money import Money


def _result(body: dict[str, Any]) -> PaymentResult:
    return PaymentResult(
        payment_id=body["id"],
        state=PaymentState(body["status"]),
        decline_code=body.get("decline_code"),
        next_action_url=(body.get("next_action") or {}).get("url"),
        card_country=body.get("card_country"),
    )


class SandboxPaymentGateway:
    name = "sandbox"

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 10.0) -> None:
        self._client = ProviderClient(base_url, api_key, timeout=timeout)

    @staticmethod
    def owns(payment_id: str) -> bool:
        return payment_id.startswith(("pay_", "inv_"))

    async def authorize(
        self,
        *,
        amount: Money,
        payment_token: str,
        reference: str,
        idempotency_key: str,
        three_d_secure: bool = False,
    ) -> PaymentResult:
        return await self._payment(
            amount,
            payment_token,
            reference,
            idempotency_key,
            capture=False,
            three_d_secure="required" if three_d_secure else "automatic",
        )

    async def charge_saved(
        self, *, amount: Money, payment_token: str, reference: str, idempotency_key: str
    ) -> PaymentResult:
        return await self._payment(
            amount, payment_token, reference, idempotency_key, capture=True, off_session=True
        )

    async def _payment(
        self, amount: Money, payment_token: str, reference: str, key: str, **options: Any
    ) -> PaymentResult:
        """A new payment at the gateway; `options` say how it is taken."""
        body = await self._client.call(
            "POST",
            "/v1/payments",
            idempotency_key=key,
            json={
                "amount": amount.minor_units,
                "currency": amount.currency,
                "payment_method": payment_token,
                "reference": reference,
                **options,
            },
        )
        return _result(body)

    async def create_invoice(
        self, *, amount: Money, reference: str, expires_at: datetime, idempotency_key: str
    ) -> PaymentResult:
        body = await self._client.call(
            "POST",
            "/v1/invoices",
            idempotency_key=idempotency_key,
            json={
                "amount": amount.minor_units,
                "currency": amount.currency,
                "reference": reference,
                "expires_at": int(expires_at.timestamp()),
            },
        )
        return _result(body)

    async def capture(
        self, *, payment_id: str, amount: Money, idempotency_key: str
    ) -> PaymentResult:
        body = await self._client.call(
            "POST",
            f"/v1/payments/{payment_id}/capture",
            idempotency_key=idempotency_key,
            json={"amount": amount.minor_units},
        )
        return _result(body)

    async def void(self, *, payment_id: str, idempotency_key: str) -> PaymentResult:
        body = await self._client.call(
            "POST", f"/v1/payments/{payment_id}/void", idempotency_key=idempotency_key, json={}
        )
        return _result(body)

    async def refund(self, *, payment_id: str, amount: Money, idempotency_key: str) -> RefundResult:
        body = await self._client.call(
            "POST",
            f"/v1/payments/{payment_id}/refunds",
            idempotency_key=idempotency_key,
            json={"amount": amount.minor_units},
        )
        return RefundResult(refund_id=body["id"], payment_id=payment_id, state=body["status"])

    async def lookup(self, payment_id: str) -> PaymentResult:
        return _result(await self._client.call("GET", f"/v1/payments/{payment_id}"))

    async def aclose(self) -> None:
        await self._client.aclose()
