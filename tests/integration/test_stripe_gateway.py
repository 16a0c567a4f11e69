"""The Stripe gateway against Stripe's documented requests and answers (offline: the HTTP
transport is mocked with respx, the webhooks are signed with stripe's own header generator).
The capture-once guarantee holds through it: a capture cut off by a timeout is found done."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import asyncpg
import httpx
import pytest
import respx
import stripe
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.models import CapturePayment, RefundPayment
from activities.payments import PaymentActivities
from adapters.errors import ProviderRejected, ProviderUnavailable
from adapters.payments import PaymentState
from adapters.payments.stripe import StripePaymentGateway, event_of
from domain.errors import ErrorType
from domain.money import Money
from store.sealing import Sealer
from tests.integration.harness import System, wait_for
from tests.integration.test_store import new_order

API = "https://api.stripe.com"
EUR = Money(amount=Decimal("24.90"), currency="EUR")
SECRET = "whsec_test_orderflow"


def intent(status: str, **extra: Any) -> dict[str, Any]:
    """A PaymentIntent as Stripe answers it (the fields orderflow reads)."""
    return {
        "id": "pi_3Ouq",
        "object": "payment_intent",
        "amount": 2490,
        "currency": "eur",
        "capture_method": "manual",
        "status": status,
        "metadata": {"order_id": "o1"},
        "next_action": None,
        "last_payment_error": None,
        "payment_method": {
            "id": "pm_1",
            "object": "payment_method",
            "type": "card",
            "card": {"brand": "visa", "country": "FR", "last4": "4242"},
        },
        **extra,
    }


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


@pytest.fixture
async def gateway() -> AsyncIterator[StripePaymentGateway]:
    made = StripePaymentGateway("sk_test_x", lambda order: f"https://shop.example/orders/{order}")
    yield made
    await made.aclose()


@respx.mock(base_url=API)
async def test_a_card_is_authorised_for_manual_capture_under_orderflows_key(
    respx_mock: respx.MockRouter, gateway: StripePaymentGateway
) -> None:
    charge = {
        "id": "ch_3Ouq",
        "object": "charge",
        "payment_method_details": {"type": "card", "card": {"capture_before": 1796119200}},
    }
    created = respx_mock.post("/v1/payment_intents").respond(
        200, json=intent("requires_capture", latest_charge=charge)
    )
    result = await gateway.authorize(
        amount=EUR, payment_token="pm_1", reference="o1", idempotency_key="o1:authorization:1"
    )
    assert result.state is PaymentState.AUTHORIZED and result.card_country == "FR"
    # the authorisation's deadline, which the order watches while it holds the card
    assert result.capture_before == datetime(2026, 12, 1, 10, tzinfo=UTC)
    assert "latest_charge" in form(created.calls.last.request).values()
    sent = created.calls.last.request
    assert sent.headers["Idempotency-Key"] == "o1:authorization:1"
    body = form(sent)
    assert body["amount"] == "2490" and body["currency"] == "eur"
    assert body["capture_method"] == "manual" and body["confirm"] == "true"
    assert body["metadata[order_id]"] == "o1"
    assert body["return_url"] == "https://shop.example/orders/o1"
    assert body["payment_method_options[card][request_three_d_secure]"] == "automatic"


@respx.mock(base_url=API)
async def test_3d_secure_sends_the_customer_to_stripes_page(
    respx_mock: respx.MockRouter, gateway: StripePaymentGateway
) -> None:
    challenge = "https://hooks.stripe.com/3d_secure_2/hosted?merchant=acct_1"
    created = respx_mock.post("/v1/payment_intents").respond(
        200,
        json=intent(
            "requires_action",
            next_action={"type": "redirect_to_url", "redirect_to_url": {"url": challenge}},
        ),
    )
    result = await gateway.authorize(
        amount=EUR,
        payment_token="pm_1",
        reference="o1",
        idempotency_key="o1:authorization:1",
        three_d_secure=True,
    )
    assert result.state is PaymentState.REQUIRES_ACTION and result.next_action_url == challenge
    sent = form(created.calls.last.request)
    assert sent["payment_method_options[card][request_three_d_secure]"] == "any"


@respx.mock(base_url=API)
async def test_a_decline_is_an_answer_with_stripes_code(
    respx_mock: respx.MockRouter, gateway: StripePaymentGateway
) -> None:
    failed = {"code": "card_declined", "decline_code": "insufficient_funds"}
    respx_mock.post("/v1/payment_intents").respond(
        402,
        json={
            "error": {
                "type": "card_error",
                "message": "Your card has insufficient funds.",
                **failed,
                "payment_intent": intent("requires_payment_method", last_payment_error=failed),
            }
        },
    )
    result = await gateway.authorize(
        amount=EUR, payment_token="pm_1", reference="o1", idempotency_key="o1:authorization:1"
    )
    assert result.state is PaymentState.DECLINED
    assert result.decline_code == "insufficient_funds" and result.payment_id == "pi_3Ouq"


@respx.mock(base_url=API)
async def test_capture_void_refund_and_lookup(
    respx_mock: respx.MockRouter, gateway: StripePaymentGateway
) -> None:
    captured = respx_mock.post("/v1/payment_intents/pi_3Ouq/capture").respond(
        200, json=intent("succeeded")
    )
    respx_mock.post("/v1/payment_intents/pi_3Ouq/cancel").respond(200, json=intent("canceled"))
    refunded = respx_mock.post("/v1/refunds").respond(
        200,
        json={"id": "re_1", "object": "refund", "status": "succeeded", "amount": 1000},
    )
    respx_mock.get("/v1/payment_intents/pi_3Ouq").respond(200, json=intent("requires_capture"))
    done = await gateway.capture(payment_id="pi_3Ouq", amount=EUR, idempotency_key="o1:capture:1")
    assert done.state is PaymentState.CAPTURED
    assert form(captured.calls.last.request)["amount_to_capture"] == "2490"
    assert captured.calls.last.request.headers["Idempotency-Key"] == "o1:capture:1"
    voided = await gateway.void(payment_id="pi_3Ouq", idempotency_key="o1:void:1")
    assert voided.state is PaymentState.VOIDED
    ten = Money(amount=Decimal("10"), currency="EUR")
    refund = await gateway.refund(payment_id="pi_3Ouq", amount=ten, idempotency_key="o1:refund:1")
    assert refund.refund_id == "re_1" and refund.state == "succeeded"
    assert form(refunded.calls.last.request) == {"payment_intent": "pi_3Ouq", "amount": "1000"}
    assert (await gateway.lookup("pi_3Ouq")).state is PaymentState.AUTHORIZED


@pytest.mark.parametrize(
    ("answer", "raised"),
    [
        (
            httpx.Response(
                400,
                json={
                    "error": {
                        "type": "invalid_request_error",
                        "code": "parameter_invalid_integer",
                        "message": "Invalid integer: 24.9",
                    }
                },
            ),
            ProviderRejected,
        ),
        (
            httpx.Response(500, json={"error": {"type": "api_error", "message": "boom"}}),
            ProviderUnavailable,
        ),
        (
            httpx.Response(
                429,
                headers={"Retry-After": "2"},
                json={"error": {"type": "invalid_request_error", "code": "rate_limit"}},
            ),
            ProviderUnavailable,
        ),
        (httpx.ConnectTimeout("no answer"), ProviderUnavailable),
    ],
    ids=["4xx", "5xx", "429", "timeout"],
)
async def test_errors_retry_or_not_as_stripe_means_them(
    answer: Any, raised: type[Exception], gateway: StripePaymentGateway
) -> None:
    with respx.mock(base_url=API) as mock:
        mock.post("/v1/payment_intents/pi_3Ouq/capture").mock(side_effect=[answer])
        with pytest.raises(raised) as err:
            await gateway.capture(payment_id="pi_3Ouq", amount=EUR, idempotency_key="k")
    if raised is ProviderRejected:
        assert "parameter_invalid_integer" in str(err.value)
    if isinstance(answer, httpx.Response) and answer.status_code == 429:
        assert isinstance(err.value, ProviderUnavailable) and err.value.retry_after == 2


async def test_a_capture_cut_off_by_a_timeout_is_found_done_and_not_repeated(
    pool: asyncpg.Pool, gateway: StripePaymentGateway
) -> None:
    order_id = await new_order(pool)
    activities = PaymentActivities(pool, gateway, Sealer("k:" + "A" * 43 + "="))
    request = CapturePayment(
        order_id=order_id, payment_id="pi_3Ouq", amount=EUR, idempotency_key=f"{order_id}:capture:1"
    )
    with respx.mock(base_url=API) as mock:
        capture = mock.post("/v1/payment_intents/pi_3Ouq/capture").mock(
            side_effect=httpx.ReadTimeout("Stripe captured; the answer never came")
        )
        mock.get("/v1/payment_intents/pi_3Ouq").respond(200, json=intent("succeeded"))
        with pytest.raises(ProviderUnavailable):
            await ActivityEnvironment().run(activities.capture_payment, request)
        retried = await ActivityEnvironment().run(activities.capture_payment, request)
    assert retried.state == PaymentState.CAPTURED
    assert capture.call_count == 1  # the retry asked Stripe instead of capturing again


def signed(
    payload: dict[str, Any], *, secret: str = SECRET, at: int | None = None
) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    timestamp = at if at is not None else int(time.time())
    header = stripe.WebhookSignature.generate_signature_header(
        secret=secret, payload=body.decode(), timestamp=timestamp
    )
    return body, header


def stripe_webhook(event_id: str, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "api_version": "2025-09-30.clover",
        "data": {"object": obj},
    }


def test_stripe_events_are_told_as_orderflows_payment_events() -> None:
    body, header = signed(
        stripe_webhook(
            "evt_1", "payment_intent.amount_capturable_updated", intent("requires_capture")
        )
    )
    assert event_of(body, header, ["whsec_old", SECRET]) == (
        "evt_1",
        {
            "type": "payment.authorized",
            "created": json.loads(body)["created"],
            "data": {"id": "pi_3Ouq", "reference": "o1", "kind": "card"},
        },
    )
    dispute = {"id": "dp_1", "object": "dispute", "payment_intent": "pi_3Ouq", "metadata": {}}
    body, header = signed(stripe_webhook("evt_2", "charge.dispute.funds_withdrawn", dispute))
    event = event_of(body, header, [SECRET])
    assert event is not None and event[1]["type"] == "payment.reversed"
    assert event[1]["data"]["id"] == "pi_3Ouq" and event[1]["data"]["reference"] is None
    body, header = signed(stripe_webhook("evt_3", "customer.created", {"id": "cus_1"}))
    assert event_of(body, header, [SECRET]) is None  # not a type orderflow uses


def test_tampered_stale_or_foreign_stripe_events_are_refused() -> None:
    body, header = signed(stripe_webhook("evt_1", "payment_intent.succeeded", intent("succeeded")))
    with pytest.raises(stripe.SignatureVerificationError):
        event_of(body.replace(b"2490", b"1"), header, [SECRET])
    stale_body, stale = signed(
        stripe_webhook("evt_1", "payment_intent.succeeded", intent("succeeded")),
        at=int(time.time()) - 600,
    )
    with pytest.raises(stripe.SignatureVerificationError):
        event_of(stale_body, stale, [SECRET])
    with pytest.raises(stripe.SignatureVerificationError):
        event_of(body, header, ["whsec_someone_else"])


@pytest.fixture
async def with_stripe_webhooks(
    system_with: Callable[..., AbstractAsyncContextManager[System]],
) -> AsyncIterator[System]:
    async with system_with(stripe_webhook_secret=SecretStr(SECRET)) as system:
        yield system


async def test_a_stripe_webhook_is_verified_stored_once_and_matched_to_its_order(
    with_stripe_webhooks: System, pool: asyncpg.Pool
) -> None:
    system = with_stripe_webhooks
    order_id = await new_order(pool)
    obj = intent("succeeded", metadata={"order_id": order_id})
    body, header = signed(stripe_webhook(f"evt_{order_id}", "payment_intent.succeeded", obj))
    url = "/v1/webhooks/payments/stripe"
    headers = {"Stripe-Signature": header, "Content-Type": "application/json"}
    for _ in range(2):
        answer = await system.api.post(url, content=body, headers=headers)
        assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": True, "duplicate": True}
    rows = await pool.fetch(
        "SELECT event_type, order_id FROM webhook_inbox WHERE event_id = $1", f"evt_{order_id}"
    )
    assert [dict(r) for r in rows] == [{"event_type": "payment.captured", "order_id": order_id}]
    tampered = await system.api.post(url, content=body.replace(b"2490", b"1"), headers=headers)
    assert tampered.status_code == 401
    assert tampered.headers["content-type"].startswith("application/problem+json")

    async def relayed() -> bool:
        state = await pool.fetchval(
            "SELECT relay_state FROM webhook_inbox WHERE event_id = $1", f"evt_{order_id}"
        )
        return state != "pending"

    await wait_for(relayed, within=30)


async def test_a_refund_the_provider_refuses_settles_its_ledger_row_as_failed(
    pool: asyncpg.Pool, gateway: StripePaymentGateway
) -> None:
    """A refund Stripe refuses for good (above what was captured) fails the activity for good
    and leaves its ledger row `failed` with Stripe's reason, never `pending`."""
    order_id = await new_order(pool)
    activities = PaymentActivities(pool, gateway, Sealer("k:" + "A" * 43 + "="))
    key = f"{order_id}:refund:return:rma_1"
    request = RefundPayment(
        order_id=order_id, payment_id="pi_3Ouq", amount=EUR, idempotency_key=key
    )
    refused = {
        "error": {
            "type": "invalid_request_error",
            "code": "amount_too_large",
            "message": "Refund amount is greater than unrefunded amount on charge",
        }
    }
    with respx.mock(base_url=API) as mock:
        mock.post("/v1/refunds").respond(400, json=refused)
        with pytest.raises(ApplicationError) as failure:
            await ActivityEnvironment().run(activities.refund_payment, request)
    assert failure.value.non_retryable and failure.value.type == ErrorType.PAYMENT_REJECTED
    row = await pool.fetchrow("SELECT status, failure FROM ledger WHERE idempotency_key = $1", key)
    assert row is not None and row["status"] == "failed"
    assert "greater than unrefunded amount" in row["failure"]
