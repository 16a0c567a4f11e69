"""The PayPal gateway against PayPal's documented Orders v2 requests and answers (offline: the
HTTP transport is mocked with respx): the approval link, authorisation once approved, a
capture read by its own status (an order COMPLETED with a declined capture), refunds,
`PayPal-Request-Id`, OAuth tokens cached and renewed, and webhooks PayPal vouches for."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
import respx
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.models import CapturePayment
from activities.payments import PaymentActivities
from adapters.errors import ProviderRejected, ProviderUnavailable
from adapters.http import retry_after
from adapters.payments import PaymentState
from adapters.payments.paypal import PayPalGateway
from adapters.payments.paypal_terms import event_of, transmitted_recently
from domain.money import Money
from store import ledger
from store.sealing import Sealer
from tests.integration.harness import System
from tests.integration.test_store import new_order

API = "https://api-m.sandbox.paypal.com"
ORDER = "5O190127TN364715T"
AUTH = "0VF52814937998046"
CAPTURE = "3C679366HH908993F"
EUR = Money(amount=Decimal("24.90"), currency="EUR")


def order(status: str, **payments: Any) -> dict[str, Any]:
    """A PayPal order as Orders v2 answers it with `Prefer: return=representation`."""
    unit: dict[str, Any] = {
        "reference_id": "o1",
        "custom_id": "o1",
        "amount": {"currency_code": "EUR", "value": "24.90"},
    }
    if payments:
        unit["payments"] = payments
    return {
        "id": ORDER,
        "intent": "AUTHORIZE",
        "status": status,
        "purchase_units": [unit],
        "links": [
            {"href": f"{API}/v2/checkout/orders/{ORDER}", "rel": "self", "method": "GET"},
            {
                "href": f"https://www.sandbox.paypal.com/checkoutnow?token={ORDER}",
                "rel": "payer-action",
                "method": "GET",
            },
        ],
    }


def authorization(status: str = "CREATED") -> list[dict[str, Any]]:
    return [{"id": AUTH, "status": status, "amount": {"currency_code": "EUR", "value": "24.90"}}]


def capture(status: str = "COMPLETED", reason: str | None = None) -> dict[str, Any]:
    return {
        "id": CAPTURE,
        "status": status,
        **({"status_details": {"reason": reason}} if reason else {}),
        "amount": {"currency_code": "EUR", "value": "24.90"},
    }


@pytest.fixture
async def gateway() -> AsyncIterator[PayPalGateway]:
    made = PayPalGateway(
        "client-id", "client-secret", lambda o: f"https://shop.example/orders/{o}", base_url=API
    )
    yield made
    await made.aclose()


def oauth(mock: respx.MockRouter, expires_in: int = 32400) -> respx.Route:
    return mock.post("/v1/oauth2/token").respond(
        200, json={"access_token": "A21AA", "token_type": "Bearer", "expires_in": expires_in}
    )


@respx.mock(base_url=API)
async def test_a_paypal_payment_starts_with_the_approval_link_under_orderflows_key(
    respx_mock: respx.MockRouter, gateway: PayPalGateway
) -> None:
    """IMA-PAY-1: PayPal is a way to pay; the customer approves on PayPal's page."""
    token = oauth(respx_mock)
    created = respx_mock.post("/v2/checkout/orders").respond(
        200, json=order("PAYER_ACTION_REQUIRED")
    )
    result = await gateway.authorize(
        amount=EUR, payment_token="paypal", reference="o1", idempotency_key="o1:authorization:1"
    )
    assert result.state is PaymentState.REQUIRES_ACTION and result.payment_id == ORDER
    assert result.next_action_url == f"https://www.sandbox.paypal.com/checkoutnow?token={ORDER}"
    sent = created.calls.last.request
    assert sent.headers["PayPal-Request-Id"] == "o1:authorization:1"
    assert sent.headers["Authorization"] == "Bearer A21AA"
    assert sent.headers["Prefer"] == "return=representation"
    body = json.loads(sent.content)
    assert body["intent"] == "AUTHORIZE"
    assert body["purchase_units"][0]["amount"] == {"currency_code": "EUR", "value": "24.90"}
    assert body["purchase_units"][0]["custom_id"] == "o1"
    context = body["payment_source"]["paypal"]["experience_context"]
    assert context["return_url"] == "https://shop.example/orders/o1"
    basic = base64.b64encode(b"client-id:client-secret").decode()
    assert token.calls.last.request.headers["Authorization"] == f"Basic {basic}"
    assert token.calls.last.request.content == b"grant_type=client_credentials"
    with pytest.raises(ProviderRejected):
        await gateway.authorize(
            amount=EUR, payment_token="pm_card", reference="o1", idempotency_key="k"
        )


@respx.mock(base_url=API)
async def test_an_approved_order_is_authorised_once_when_asked_about(
    respx_mock: respx.MockRouter, gateway: PayPalGateway
) -> None:
    oauth(respx_mock)
    respx_mock.get(f"/v2/checkout/orders/{ORDER}").respond(200, json=order("APPROVED"))
    held = [{**authorization()[0], "expiration_time": "2026-12-23T10:00:00Z"}]
    authorize = respx_mock.post(f"/v2/checkout/orders/{ORDER}/authorize").respond(
        201, json=order("COMPLETED", authorizations=held)
    )
    result = await gateway.lookup(ORDER)
    assert result.state is PaymentState.AUTHORIZED
    assert result.capture_before == datetime(2026, 12, 23, 10, tzinfo=UTC)  # 29 days on
    assert authorize.calls.last.request.headers["PayPal-Request-Id"] == f"{ORDER}:authorize"


@respx.mock(base_url=API)
async def test_a_completed_order_with_a_declined_capture_is_declined(
    respx_mock: respx.MockRouter, gateway: PayPalGateway
) -> None:
    oauth(respx_mock)
    respx_mock.get(f"/v2/checkout/orders/{ORDER}").respond(
        200, json=order("COMPLETED", authorizations=authorization())
    )
    captured = respx_mock.post(f"/v2/payments/authorizations/{AUTH}/capture").respond(
        201, json=capture("DECLINED", reason="DECLINED_BY_RISK_FRAUD_FILTERS")
    )
    result = await gateway.capture(payment_id=ORDER, amount=EUR, idempotency_key="o1:capture:1")
    assert result.state is PaymentState.DECLINED
    assert result.decline_code == "DECLINED_BY_RISK_FRAUD_FILTERS"
    sent = captured.calls.last.request
    assert sent.headers["PayPal-Request-Id"] == "o1:capture:1"
    assert json.loads(sent.content)["amount"] == {"currency_code": "EUR", "value": "24.90"}
    # the order itself says COMPLETED; its capture says otherwise, and that is what counts
    respx_mock.get(f"/v2/checkout/orders/{ORDER}").respond(
        200,
        json=order(
            "COMPLETED",
            authorizations=authorization("CAPTURED"),
            captures=[capture("DECLINED", reason="DECLINED_BY_RISK_FRAUD_FILTERS")],
        ),
    )
    assert (await gateway.lookup(ORDER)).state is PaymentState.DECLINED


@respx.mock(base_url=API)
async def test_a_paypal_authorisation_is_voided_and_its_capture_refunded(
    respx_mock: respx.MockRouter, gateway: PayPalGateway
) -> None:
    oauth(respx_mock)
    got = respx_mock.get(f"/v2/checkout/orders/{ORDER}")
    got.respond(200, json=order("COMPLETED", authorizations=authorization()))
    voided = respx_mock.post(f"/v2/payments/authorizations/{AUTH}/void").respond(204)
    result = await gateway.void(payment_id=ORDER, idempotency_key="o1:void:1")
    assert result.state is PaymentState.VOIDED
    assert voided.calls.last.request.headers["PayPal-Request-Id"] == "o1:void:1"
    # an order never approved holds nothing: nothing is called, and it is void
    got.respond(200, json=order("PAYER_ACTION_REQUIRED"))
    never = await gateway.void(payment_id=ORDER, idempotency_key="o1:void:2")
    assert never.state is PaymentState.VOIDED and voided.call_count == 1
    got.respond(
        200,
        json=order("COMPLETED", authorizations=authorization("CAPTURED"), captures=[capture()]),
    )
    refunded = respx_mock.post(f"/v2/payments/captures/{CAPTURE}/refund").respond(
        201, json={"id": "1JU08902781691411", "status": "COMPLETED"}
    )
    half = Money(amount=Decimal("12.45"), currency="EUR")
    refund = await gateway.refund(payment_id=ORDER, amount=half, idempotency_key="o1:refund:1")
    assert refund.refund_id == "1JU08902781691411"
    sent = refunded.calls.last.request
    assert json.loads(sent.content)["amount"] == {"currency_code": "EUR", "value": "12.45"}
    assert sent.headers["PayPal-Request-Id"] == "o1:refund:1"


@respx.mock(base_url=API)
async def test_the_oauth_token_is_cached_and_renewed_after_a_401(
    respx_mock: respx.MockRouter, gateway: PayPalGateway
) -> None:
    token = oauth(respx_mock)
    got = respx_mock.get(f"/v2/checkout/orders/{ORDER}")
    got.respond(200, json=order("PAYER_ACTION_REQUIRED"))
    await gateway.lookup(ORDER)
    await gateway.lookup(ORDER)
    assert token.call_count == 1
    got.side_effect = [
        httpx.Response(401, json={"error": "invalid_token"}),
        httpx.Response(200, json=order("PAYER_ACTION_REQUIRED")),
    ]
    assert (await gateway.lookup(ORDER)).state is PaymentState.REQUIRES_ACTION
    assert token.call_count == 2


@pytest.mark.parametrize(
    ("answer", "raised"),
    [
        (
            httpx.Response(
                422,
                json={
                    "name": "UNPROCESSABLE_ENTITY",
                    "details": [{"issue": "AUTHORIZATION_ALREADY_CAPTURED"}],
                },
            ),
            ProviderRejected,
        ),
        (httpx.Response(503, json={"name": "SERVICE_UNAVAILABLE"}), ProviderUnavailable),
        (httpx.Response(429, headers={"Retry-After": "7"}), ProviderUnavailable),
        (httpx.ReadTimeout("no answer"), ProviderUnavailable),
    ],
    ids=["4xx", "5xx", "429", "timeout"],
)
async def test_errors_retry_or_not_as_paypal_means_them(
    answer: Any, raised: type[Exception], gateway: PayPalGateway
) -> None:
    with respx.mock(base_url=API) as mock:
        oauth(mock)
        mock.get(f"/v2/checkout/orders/{ORDER}").respond(
            200, json=order("COMPLETED", authorizations=authorization())
        )
        mock.post(f"/v2/payments/authorizations/{AUTH}/capture").mock(side_effect=[answer])
        with pytest.raises(raised) as err:
            await gateway.capture(payment_id=ORDER, amount=EUR, idempotency_key="k")
    if raised is ProviderRejected:
        assert "AUTHORIZATION_ALREADY_CAPTURED" in str(err.value)
    if isinstance(answer, httpx.Response) and answer.status_code == 429:
        assert "retry after 7 s" in str(err.value)


async def capturing(
    pool: asyncpg.Pool, gateway: PayPalGateway
) -> tuple[PaymentActivities, CapturePayment]:
    """The payment activities over the gateway, and a new order's capture of ORDER."""
    order_id = await new_order(pool)
    activities = PaymentActivities(pool, gateway, Sealer("k:" + "A" * 43 + "="))
    request = CapturePayment(
        order_id=order_id, payment_id=ORDER, amount=EUR, idempotency_key=f"{order_id}:capture:1"
    )
    return activities, request


async def test_a_paypal_capture_cut_off_by_a_timeout_is_found_done_and_not_repeated(
    pool: asyncpg.Pool, gateway: PayPalGateway
) -> None:
    activities, request = await capturing(pool, gateway)
    with respx.mock(base_url=API) as mock:
        oauth(mock)
        got = mock.get(f"/v2/checkout/orders/{ORDER}")
        got.respond(200, json=order("COMPLETED", authorizations=authorization()))
        captured = mock.post(f"/v2/payments/authorizations/{AUTH}/capture").mock(
            side_effect=httpx.ReadTimeout("PayPal captured; the answer never came")
        )
        with pytest.raises(ProviderUnavailable):
            await ActivityEnvironment().run(activities.capture_payment, request)
        got.respond(
            200,
            json=order("COMPLETED", authorizations=authorization("CAPTURED"), captures=[capture()]),
        )
        retried = await ActivityEnvironment().run(activities.capture_payment, request)
    assert retried.state == PaymentState.CAPTURED
    assert captured.call_count == 1  # the retry asked PayPal instead of capturing again


def paypal_webhook(event_type: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "WH-2WR32451HC0233532-67976317FL4543714",
        "event_version": "1.0",
        "create_time": "2026-11-24T10:00:00Z",
        "resource_type": "capture",
        "event_type": event_type,
        "resource": resource,
    }


def test_paypal_events_are_told_as_orderflows_payment_events() -> None:
    captured = paypal_webhook(
        "PAYMENT.CAPTURE.COMPLETED",
        {
            **capture(),
            "custom_id": "o1",
            "supplementary_data": {"related_ids": {"order_id": ORDER, "authorization_id": AUTH}},
        },
    )
    event_id, payload = event_of(captured) or ("", {})
    assert event_id == captured["id"]
    assert payload["type"] == "payment.captured"
    assert payload["data"] == {"id": ORDER, "reference": "o1", "kind": "paypal"}
    approved = paypal_webhook("CHECKOUT.ORDER.APPROVED", order("APPROVED"))
    assert (event_of(approved) or ("", {}))[1]["data"]["id"] == ORDER
    assert event_of(paypal_webhook("CUSTOMER.DISPUTE.CREATED", {})) is None


def test_a_transmission_outside_five_minutes_is_refused() -> None:
    at = "2026-11-24T10:00:00Z"
    noon = 1795514400.0  # 2026-11-24T10:00:00Z
    assert transmitted_recently({"paypal-transmission-time": at}, noon + 299)
    assert not transmitted_recently({"paypal-transmission-time": at}, noon + 301)
    assert not transmitted_recently({}, noon)


@pytest.fixture
async def with_paypal_webhooks(
    system_with: Callable[..., AbstractAsyncContextManager[System]],
) -> AsyncIterator[System]:
    async with system_with(
        with_worker=False,
        wallet_gateway="paypal",
        paypal_client_id="client-id",
        paypal_client_secret=SecretStr("client-secret"),
        paypal_webhook_id="1JE4291016473214C",
        paypal_api_base=API,
    ) as system:
        yield system


async def test_a_paypal_webhook_is_verified_by_paypal_stored_once_and_matched(
    with_paypal_webhooks: System, pool: asyncpg.Pool
) -> None:
    system = with_paypal_webhooks
    order_id = await new_order(pool)
    paypal_order = order_id[:17].upper()  # this test's own PayPal order
    event = paypal_webhook(
        "PAYMENT.CAPTURE.COMPLETED",
        {**capture(), "supplementary_data": {"related_ids": {"order_id": paypal_order}}},
    )
    event["id"] = f"WH-{order_id}"
    body = json.dumps(event).encode()
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    headers = {
        "Content-Type": "application/json",
        "PAYPAL-AUTH-ALGO": "SHA256withRSA",
        "PAYPAL-CERT-URL": "https://api.paypal.com/v1/notifications/certs/CERT-360caa42",
        "PAYPAL-TRANSMISSION-ID": "69cd13f0-d67a-11e5-baa3-778b53f4ae55",
        "PAYPAL-TRANSMISSION-SIG": "lmI95Jx3Y9nhR5SJWlHVIWpg4AgFk7n9bCHSRxbrd8A9zrhdu2rMyFrmz+Zjh",
        "PAYPAL-TRANSMISSION-TIME": now,
    }
    # the capture names its PayPal order only: the ledger knows whose it is
    key = f"{order_id}:authorization:1"
    await ledger.open_movement(
        pool,
        order_id=order_id,
        idempotency_key=key,
        movement="authorization",
        amount=EUR.amount,
        currency="EUR",
        provider="paypal",
    )
    await ledger.settle_movement(
        pool, idempotency_key=key, status="authorized", provider_ref=paypal_order
    )
    url = "/v1/webhooks/payments/paypal"
    with respx.mock(base_url=API, assert_all_called=False) as mock:
        mock.route(host="127.0.0.1").pass_through()
        oauth(mock)
        verify = mock.post("/v1/notifications/verify-webhook-signature")
        verify.respond(200, json={"verification_status": "SUCCESS"})
        for _ in range(2):
            answer = await system.api.post(url, content=body, headers=headers)
            assert answer.status_code == 200, answer.text
        asked = json.loads(verify.calls.last.request.content)
        assert asked["webhook_id"] == "1JE4291016473214C"
        assert asked["transmission_id"] == headers["PAYPAL-TRANSMISSION-ID"]
        assert asked["webhook_event"] == event
        verify.respond(200, json={"verification_status": "FAILURE"})
        refused = await system.api.post(url, content=body, headers=headers)
        assert refused.status_code == 401
        verify.respond(503)
        unverified = await system.api.post(url, content=body, headers=headers)
        assert unverified.status_code == 503  # PayPal sends it again later
        stale = {**headers, "PAYPAL-TRANSMISSION-TIME": "2026-01-01T00:00:00Z"}
        assert (await system.api.post(url, content=body, headers=stale)).status_code == 401
    assert answer.json() == {"received": True, "duplicate": True}
    rows = await pool.fetch(
        "SELECT event_type, order_id FROM webhook_inbox WHERE event_id = $1", event["id"]
    )
    assert [dict(r) for r in rows] == [{"event_type": "payment.captured", "order_id": order_id}]


async def test_a_rate_limited_capture_is_retried_when_paypal_says(
    pool: asyncpg.Pool, gateway: PayPalGateway
) -> None:
    """A 429's Retry-After sets the activity's next attempt (capped at 5 minutes)."""
    activities, request = await capturing(pool, gateway)
    with respx.mock(base_url=API) as mock:
        oauth(mock)
        mock.get(f"/v2/checkout/orders/{ORDER}").respond(
            200, json=order("COMPLETED", authorizations=authorization())
        )
        capture_route = mock.post(f"/v2/payments/authorizations/{AUTH}/capture")
        capture_route.respond(429, headers={"Retry-After": "7"})
        with pytest.raises(ApplicationError) as limited:
            await ActivityEnvironment().run(activities.capture_payment, request)
        capture_route.respond(503, headers={"Retry-After": "86400"})
        with pytest.raises(ApplicationError) as down:
            await ActivityEnvironment().run(activities.capture_payment, request)
    assert limited.value.next_retry_delay == timedelta(seconds=7)
    assert not limited.value.non_retryable
    assert down.value.next_retry_delay == timedelta(minutes=5)


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    now = datetime(2026, 11, 24, 10, tzinfo=UTC)
    assert retry_after("120") == 120
    assert retry_after("Tue, 24 Nov 2026 10:00:30 GMT", now) == 30
    assert retry_after("Tue, 24 Nov 2026 09:00:00 GMT", now) == 0
    assert retry_after("soon") is None and retry_after(None) is None
