"""PayPal behind the payment gateway protocol: Orders v2 over httpx, with intent AUTHORIZE.

- `authorize` creates the order; the customer approves it on PayPal's `payer-action` page
  and comes back to the order page.
- Once approved (the `CHECKOUT.ORDER.APPROVED` webhook, confirmed by `lookup`), the order is
  authorised: the funds are held, as a card's are, until the parcel leaves. PayPal honours an
  authorisation for 3 days and lets it be captured for 29.
- `capture` captures that authorisation and reads the capture's own status. An order can be
  `COMPLETED` while its capture was `DECLINED`, so the order's status alone proves nothing.
- `void` voids the authorisation. An order not yet approved holds nothing; PayPal lets it
  expire.
- `refund` refunds the capture.

Every call carries `PayPal-Request-Id` from orderflow's own idempotency keys, and asks for the
full representation back. OAuth client-credentials tokens are cached until shortly before
they expire, and dropped on a 401. Webhooks are verified by PayPal's verify-webhook-signature
call (`verified`). What PayPal's orders and events say, in orderflow's terms, is read in
`paypal_terms`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from adapters.errors import ProviderRejected
from adapters.http import checked, sent
from adapters.payments import PaymentResult, PaymentState, RefundResult
from adapters.payments.paypal_terms import (
    TRANSMISSION_HEADERS,
    capture_result,
    first_of,
    payments_of,
    result_of,
)
from domain.money import Money

LIVE_API = "https://api-m.paypal.com"
# A token is renewed this long before PayPal says it expires.
TOKEN_MARGIN_SECONDS = 60
# PayPal order IDs: 17 capitals and digits (`5O190127TN364715T`).
ORDER_ID_LENGTH = 17


def _value(amount: Money) -> dict[str, str]:
    return {"currency_code": amount.currency, "value": str(amount.amount)}


def _issue(response: httpx.Response) -> str | None:
    """PayPal's error name and first issue (`UNPROCESSABLE_ENTITY/ORDER_NOT_APPROVED`) of a
    refusal."""
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    issue = first_of(body.get("details")).get("issue")
    return "/".join(part for part in (body.get("name"), issue) if part) or response.text[:200]


class PayPalGateway:
    name = "paypal"

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        return_url: Callable[[str], str],
        *,
        base_url: str = LIVE_API,
        timeout: float = 10.0,
    ) -> None:
        """`return_url(order_id)`: where PayPal sends the customer back (the order's page)."""
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout)
        self._credentials = (client_id, client_secret)
        self._return_url = return_url
        self._token: tuple[str, float] | None = None  # (access token, renew after)
        self._token_lock = asyncio.Lock()

    @staticmethod
    def owns(payment_id: str) -> bool:
        return len(payment_id) == ORDER_ID_LENGTH and payment_id.isalnum() and payment_id.isupper()

    async def _access_token(self) -> str:
        async with self._token_lock:
            if self._token is not None and time.monotonic() < self._token[1]:
                return self._token[0]
            where = "paypal: OAuth token"
            response = await sent(
                self._http,
                "POST",
                "/v1/oauth2/token",
                where,
                data={"grant_type": "client_credentials"},
                auth=self._credentials,
            )
            body = checked(response, where, _issue(response)).json()
            lifetime = float(body.get("expires_in", 0)) - TOKEN_MARGIN_SECONDS
            self._token = (str(body["access_token"]), time.monotonic() + max(lifetime, 0))
            return self._token[0]

    async def call(
        self, method: str, path: str, *, json: Any = None, request_id: str | None = None
    ) -> dict[str, Any]:
        """One API call with a current token (renewed once on a 401); failures in the
        adapters' terms: 5xx, 429 and network errors retry, other 4xx are final."""
        for renewed in (False, True):
            headers = {
                "Authorization": f"Bearer {await self._access_token()}",
                "Prefer": "return=representation",
                **({"PayPal-Request-Id": request_id} if request_id else {}),
            }
            where = f"paypal: {method} {path}"
            response = await sent(self._http, method, path, where, json=json, headers=headers)
            if response.status_code == 401 and not renewed:
                self._token = None
                continue
            break
        checked(response, where, _issue(response))
        return response.json() if response.content else {}

    async def _order(self, order_id: str) -> dict[str, Any]:
        return await self.call("GET", f"/v2/checkout/orders/{order_id}")

    async def _authorized(self, order: dict[str, Any]) -> dict[str, Any]:
        """The order, authorised when the customer has approved it: the hold is placed once
        (the request ID is the order's own), whoever asks first."""
        if order.get("status") != "APPROVED":
            return order
        return await self.call(
            "POST",
            f"/v2/checkout/orders/{order['id']}/authorize",
            json={},
            request_id=f"{order['id']}:authorize",
        )

    async def authorize(
        self,
        *,
        amount: Money,
        payment_token: str,
        reference: str,
        idempotency_key: str,
        three_d_secure: bool = False,
    ) -> PaymentResult:
        if payment_token != "paypal":
            raise ProviderRejected("paypal takes PayPal payments: cards need the card gateway")
        back = self._return_url(reference)
        order = await self.call(
            "POST",
            "/v2/checkout/orders",
            request_id=idempotency_key,
            json={
                "intent": "AUTHORIZE",
                "purchase_units": [
                    {"reference_id": reference, "custom_id": reference, "amount": _value(amount)}
                ],
                "payment_source": {
                    "paypal": {
                        "experience_context": {
                            "return_url": back,
                            "cancel_url": back,
                            "user_action": "PAY_NOW",
                            "shipping_preference": "NO_SHIPPING",
                        }
                    }
                },
            },
        )
        return result_of(order)

    async def charge_saved(
        self, *, amount: Money, payment_token: str, reference: str, idempotency_key: str
    ) -> PaymentResult:
        raise ProviderRejected("paypal: saved payment methods are charged by the card gateway")

    async def create_invoice(
        self, *, amount: Money, reference: str, expires_at: datetime, idempotency_key: str
    ) -> PaymentResult:
        raise ProviderRejected("paypal: e-invoices are not offered through this gateway")

    async def lookup(self, payment_id: str) -> PaymentResult:
        return result_of(await self._authorized(await self._order(payment_id)))

    async def capture(
        self, *, payment_id: str, amount: Money, idempotency_key: str
    ) -> PaymentResult:
        order = await self._authorized(await self._order(payment_id))
        payments = payments_of(order)
        authorization = first_of(payments.get("authorizations"))
        if payments.get("captures") or not authorization:
            return result_of(order)  # captured already, or nothing to capture (its state says)
        capture = await self.call(
            "POST",
            f"/v2/payments/authorizations/{authorization['id']}/capture",
            request_id=idempotency_key,
            json={"amount": _value(amount), "final_capture": True},
        )
        return capture_result(payment_id, capture)

    async def void(self, *, payment_id: str, idempotency_key: str) -> PaymentResult:
        order = await self._authorized(await self._order(payment_id))
        authorization = first_of(payments_of(order).get("authorizations"))
        if authorization.get("status") not in ("CREATED", "PENDING"):
            # nothing held: an order never approved lapses; a captured one needs a refund
            current = result_of(order)
            if current.state is PaymentState.REQUIRES_ACTION:
                return current.model_copy(
                    update={"state": PaymentState.VOIDED, "next_action_url": None}
                )
            return current
        await self.call(
            "POST",
            f"/v2/payments/authorizations/{authorization['id']}/void",
            request_id=idempotency_key,
            json={},
        )
        return PaymentResult(payment_id=payment_id, state=PaymentState.VOIDED)

    async def refund(self, *, payment_id: str, amount: Money, idempotency_key: str) -> RefundResult:
        capture = first_of(payments_of(await self._order(payment_id)).get("captures"))
        if not capture:
            raise ProviderRejected(f"paypal: order {payment_id} has no capture to refund")
        refund = await self.call(
            "POST",
            f"/v2/payments/captures/{capture['id']}/refund",
            request_id=idempotency_key,
            json={"amount": _value(amount)},
        )
        if refund.get("status") not in ("COMPLETED", "PENDING"):
            raise ProviderRejected(f"paypal: refund {refund.get('id')} {refund.get('status')}")
        return RefundResult(refund_id=str(refund["id"]), payment_id=payment_id, state="succeeded")

    async def verified(
        self, body: dict[str, Any], headers: dict[str, str], webhook_id: str
    ) -> bool:
        """Whether PayPal says it sent this event to this webhook (verify-webhook-signature)."""
        answer = await self.call(
            "POST",
            "/v1/notifications/verify-webhook-signature",
            json={
                **{field: headers.get(name, "") for field, name in TRANSMISSION_HEADERS.items()},
                "webhook_id": webhook_id,
                "webhook_event": body,
            },
        )
        return answer.get("verification_status") == "SUCCESS"

    async def aclose(self) -> None:
        await self._http.aclose()
