"""Stripe behind the payment gateway protocol: card PaymentIntents confirmed at once with
manual capture (3-D Secure by redirect to Stripe's page, back to the order page), capture,
cancellation as the void, refunds, off-session charges of saved cards; and its webhooks,
verified on the raw body and told as orderflow's payment events.

Idempotency keys are orderflow's own (`order:capture:1`); Stripe keeps a key for 24 hours,
longer than any activity's retries (an hour at most), so a retried call gets the first
answer. A call cut off by a timeout is resolved by asking Stripe (`lookup`), as for every
gateway. Declines are answers (DECLINED with Stripe's code); other 4xx are
`ProviderRejected` with Stripe's code kept; 5xx, rate limits and network errors are
`ProviderUnavailable`, retried by the activity.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import stripe

from adapters import WEBHOOK_TOLERANCE_SECONDS
from adapters.errors import ProviderRejected, ProviderUnavailable
from adapters.http import retry_after
from adapters.payments import PaymentResult, PaymentState, RefundResult
from domain.money import Money

T = TypeVar("T")

# PaymentIntent status -> orderflow's payment state
STATES = {
    "requires_payment_method": PaymentState.DECLINED,  # the last attempt failed
    "requires_confirmation": PaymentState.REQUIRES_ACTION,
    "requires_action": PaymentState.REQUIRES_ACTION,
    "processing": PaymentState.REQUIRES_ACTION,  # the outcome comes as a webhook
    "requires_capture": PaymentState.AUTHORIZED,
    "succeeded": PaymentState.CAPTURED,
    "canceled": PaymentState.VOIDED,
}
# Stripe event type -> orderflow's payment event type (the relay's vocabulary)
EVENTS = {
    "payment_intent.requires_action": "payment.requires_action",
    "payment_intent.amount_capturable_updated": "payment.authorized",
    "payment_intent.succeeded": "payment.captured",
    "payment_intent.payment_failed": "payment.failed",
    "payment_intent.canceled": "payment.voided",
    "charge.refunded": "refund.succeeded",
    "charge.dispute.funds_withdrawn": "payment.reversed",
}


def _field(obj: Any, name: str) -> Any:
    """A field of a Stripe object or of a plain dict (an error's payment intent)."""
    if obj is None:
        return None
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def result_of(intent: Any) -> PaymentResult:
    """orderflow's view of a PaymentIntent."""
    status = str(_field(intent, "status"))
    action = _field(intent, "next_action")
    redirect = _field(action, "redirect_to_url")
    error = _field(intent, "last_payment_error")
    method = _field(intent, "payment_method")
    card = _field(method, "card") if not isinstance(method, str) else None
    # an expanded charge holds its card's deadline; an unexpanded one is its ID, and has none
    charge = _field(intent, "latest_charge")
    lapses = _field(_field(_field(charge, "payment_method_details"), "card"), "capture_before")
    state = STATES.get(status)
    if state is None:
        raise ProviderRejected(f"stripe: PaymentIntent status {status!r} is not known here")
    if state is PaymentState.CAPTURED and _field(charge, "disputed"):
        state = PaymentState.REVERSED  # a dispute: the payer's bank takes the funds back
    return PaymentResult(
        payment_id=str(_field(intent, "id")),
        state=state,
        decline_code=(_field(error, "decline_code") or _field(error, "code"))
        if state is PaymentState.DECLINED
        else None,
        next_action_url=_field(redirect, "url"),
        card_country=_field(card, "country"),
        capture_before=datetime.fromtimestamp(lapses, UTC)
        if lapses and state is PaymentState.AUTHORIZED
        else None,
    )


def failure(err: stripe.StripeError) -> Exception:
    """A Stripe error in the adapters' terms: retry (5xx, rate limit, network) or not (4xx,
    Stripe's code kept)."""
    status = err.http_status or 0
    if isinstance(err, stripe.APIConnectionError | stripe.RateLimitError) or status >= 500:
        wait = retry_after((err.headers or {}).get("retry-after"))
        return ProviderUnavailable(
            f"stripe: HTTP {status or '-'} {type(err).__name__}: {err}", retry_after=wait
        )
    code = err.code or type(err).__name__
    return ProviderRejected(f"stripe: HTTP {status} {code}: {err.user_message or err}")


async def calling(call: Callable[[], Awaitable[T]]) -> T:
    """One Stripe call, its failures in the adapters' terms."""
    try:
        return await call()
    except stripe.StripeError as err:
        raise failure(err) from err


class StripePaymentGateway:
    name = "stripe"

    def __init__(
        self,
        api_key: str,
        return_url: Callable[[str], str],
        *,
        timeout: float = 10.0,
        base_url: str | None = None,
    ) -> None:
        """`return_url(order_id)`: where 3-D Secure sends the customer back (the order's
        page)."""
        self._http = stripe.HTTPXClient(timeout=timeout)
        self._client = stripe.StripeClient(
            api_key,
            http_client=self._http,
            max_network_retries=0,  # the activity retries, under the same idempotency key
            **({"base_addresses": {"api": base_url}} if base_url else {}),
        )
        self._return_url = return_url

    @staticmethod
    def owns(payment_id: str) -> bool:
        return payment_id.startswith("pi_")

    @staticmethod
    def _options(key: str) -> Any:
        return {"idempotency_key": key}

    async def _intent(self, params: dict[str, Any], key: str) -> PaymentResult:
        """Create and confirm a PaymentIntent; a decline is an answer, not an error."""
        intents = self._client.v1.payment_intents
        try:
            intent = await intents.create_async(params, self._options(key))  # type: ignore[arg-type]
        except stripe.CardError as err:
            declined = _field(err.error, "payment_intent")
            if declined is None:
                raise ProviderRejected(f"stripe: card error without a payment: {err}") from err
            return result_of(declined)
        except stripe.StripeError as err:
            raise failure(err) from err
        return result_of(intent)

    async def authorize(
        self,
        *,
        amount: Money,
        payment_token: str,
        reference: str,
        idempotency_key: str,
        three_d_secure: bool = False,
    ) -> PaymentResult:
        if payment_token == "paypal":
            raise ProviderRejected("stripe takes cards: PayPal payments need the PayPal gateway")
        return await self._intent(
            {
                "amount": amount.minor_units,
                "currency": amount.currency.lower(),
                "payment_method": payment_token,
                "payment_method_types": ["card"],
                "capture_method": "manual",
                "confirm": True,
                "return_url": self._return_url(reference),
                "metadata": {"order_id": reference},
                "payment_method_options": {
                    "card": {"request_three_d_secure": "any" if three_d_secure else "automatic"}
                },
                "expand": ["payment_method", "latest_charge"],
            },
            idempotency_key,
        )

    async def charge_saved(
        self, *, amount: Money, payment_token: str, reference: str, idempotency_key: str
    ) -> PaymentResult:
        """`payment_token` is `cus_…:pm_…`: Stripe charges a saved method through its
        customer."""
        customer, _, method = payment_token.rpartition(":")
        return await self._intent(
            {
                "amount": amount.minor_units,
                "currency": amount.currency.lower(),
                "payment_method": method,
                **({"customer": customer} if customer else {}),
                "off_session": True,
                "confirm": True,
                "metadata": {"order_id": reference},
                "expand": ["payment_method", "latest_charge"],
            },
            idempotency_key,
        )

    async def create_invoice(
        self, *, amount: Money, reference: str, expires_at: datetime, idempotency_key: str
    ) -> PaymentResult:
        raise ProviderRejected("stripe: e-invoices are not offered through this gateway")

    async def capture(
        self, *, payment_id: str, amount: Money, idempotency_key: str
    ) -> PaymentResult:
        intents = self._client.v1.payment_intents
        intent = await calling(
            lambda: intents.capture_async(
                payment_id,
                {
                    "amount_to_capture": amount.minor_units,
                    "expand": ["payment_method", "latest_charge"],
                },
                self._options(idempotency_key),
            )
        )
        return result_of(intent)

    async def void(self, *, payment_id: str, idempotency_key: str) -> PaymentResult:
        intents = self._client.v1.payment_intents
        intent = await calling(
            lambda: intents.cancel_async(
                payment_id,
                {"expand": ["payment_method", "latest_charge"]},
                self._options(idempotency_key),
            )
        )
        return result_of(intent)

    async def refund(self, *, payment_id: str, amount: Money, idempotency_key: str) -> RefundResult:
        refunds = self._client.v1.refunds
        refund = await calling(
            lambda: refunds.create_async(
                {"payment_intent": payment_id, "amount": amount.minor_units},
                self._options(idempotency_key),
            )
        )
        if refund.status in ("failed", "canceled"):
            raise ProviderRejected(f"stripe: refund {refund.id} {refund.status}")
        return RefundResult(refund_id=refund.id, payment_id=payment_id, state="succeeded")

    async def lookup(self, payment_id: str) -> PaymentResult:
        intents = self._client.v1.payment_intents
        intent = await calling(
            lambda: intents.retrieve_async(
                payment_id, {"expand": ["payment_method", "latest_charge"]}
            )
        )
        return result_of(intent)

    async def aclose(self) -> None:
        await self._http.close_async()


def event_of(body: bytes, signature: str, secrets: list[str]) -> tuple[str, dict[str, Any]] | None:
    """A Stripe webhook verified on its raw body (any of the secrets, during a rotation;
    300 s tolerance) as (event ID, orderflow's payment event); None for an event type
    orderflow does not use. Raises `stripe.SignatureVerificationError` when no secret
    verifies it."""
    refused: Exception | None = None
    for secret in secrets:
        try:
            event = stripe.Webhook.construct_event(
                body, signature, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
            )
            break
        except stripe.SignatureVerificationError as err:
            refused = err
    else:
        raise refused or stripe.SignatureVerificationError("no signing secret", signature)
    kind = EVENTS.get(event.type)
    if kind is None:
        return None
    obj = event.data.object.to_dict()
    # a PaymentIntent names itself; a charge or a dispute names its PaymentIntent
    is_intent = obj.get("object") == "payment_intent"
    payment_id = obj.get("id") if is_intent else obj.get("payment_intent")
    reference = (obj.get("metadata") or {}).get("order_id")
    data = {"id": payment_id, "reference": reference, "kind": "card"}
    return event.id, {"type": kind, "created": event.created, "data": data}
