"""EasyPost trackers against EasyPost's documented requests and answers (offline, respx): a
tracker registered for each label, statuses told in orderflow's forward-only tracking states,
a quiet parcel read again, and `tracker.updated` webhooks whose HMAC is checked exactly as
EasyPost's own library checks it (LIF-1: tracking updates)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

import asyncpg
import easypost.util
import httpx
import pytest
import respx
from pydantic import SecretStr
from temporalio.testing import ActivityEnvironment

from activities.carriers import CarrierActivities
from activities.models import BuyLabel, PollTracking
from adapters.carriers import Destination, Label
from adapters.carriers.easypost import EasyPostTracking, event_of, signature, signed_by
from adapters.errors import ProviderRejected, ProviderUnavailable
from domain.policy import Carrier
from store import parcels
from tests.integration.harness import System
from tests.integration.test_store import new_order

API = "https://api.easypost.com"
SECRET = "easypost-webhook-secret"


def tracker(status: str, code: str = "EZ4000000004", **extra: Any) -> dict[str, Any]:
    """A Tracker as EasyPost answers it (the fields orderflow reads)."""
    return {
        "id": "trk_c8e0edb5bb284caa934a0d3db23a148z",
        "object": "Tracker",
        "mode": "test",
        "tracking_code": code,
        "status": status,
        "carrier": "DHLExpress",
        "updated_at": "2026-11-24T09:00:00Z",
        "tracking_details": [
            {"status": "pre_transit", "datetime": "2026-11-23T16:00:00Z", "message": "Label"},
            {"status": status, "datetime": "2026-11-24T08:30:00Z", "message": "Scan"},
        ],
        **extra,
    }


class OneLabelCarrier:
    """The carrier that sells the label (not under test here): one label, as the sandbox's."""

    name = "carrier"

    async def buy_label(self, *, carrier: Carrier, **_: Any) -> Label:
        return Label(label_id="lbl_1", tracking_number=self.number, carrier=carrier)

    def __init__(self, number: str) -> None:
        self.number = number


async def labelled(activities: CarrierActivities, order_id: str, carrier: Carrier) -> Any:
    destination = Destination(name="J", line1="Brivibas iela 1", city="Riga", country="LV")
    request = BuyLabel(
        order_id=order_id,
        carrier=carrier,
        idempotency_key=f"{order_id}:label:1",
        return_to=destination.model_dump(),
    )
    return await ActivityEnvironment().run(activities.buy_shipping_label, request)


@pytest.fixture
async def tracking() -> AsyncIterator[EasyPostTracking]:
    made = EasyPostTracking("EZTK_test_key")
    yield made
    await made.aclose()


@respx.mock(base_url=API)
async def test_each_label_gets_a_tracker_and_a_quiet_parcel_is_read_again(
    respx_mock: respx.MockRouter, tracking: EasyPostTracking, pool: asyncpg.Pool
) -> None:
    order_id = await new_order(pool)
    number = f"EZ{order_id[:10].upper()}"
    registered = respx_mock.post("/v2/trackers").respond(200, json=tracker("pre_transit", number))
    activities = CarrierActivities(pool, OneLabelCarrier(number), tracking)  # type: ignore[arg-type]
    label = await labelled(activities, order_id, Carrier.DHL)
    sent = registered.calls.last.request
    assert json.loads(sent.content) == {
        "tracker": {"tracking_code": number, "carrier": "DHLExpress"}
    }
    assert sent.headers["Authorization"].startswith("Basic ")  # the API key as the user
    kept = await parcels.one(pool, label.tracking_number)
    assert kept is not None and kept["order_id"] == order_id
    assert kept["tracker_id"] == "trk_c8e0edb5bb284caa934a0d3db23a148z"

    read = respx_mock.get(f"/v2/trackers/{kept['tracker_id']}")
    for said, told in [
        ("in_transit", "in_transit"),
        ("available_for_pickup", "out_for_delivery"),
        ("failure", "exception"),
        ("return_to_sender", "return_to_sender"),
        ("unknown", "unknown"),
        ("delivered", "delivered"),
    ]:
        read.respond(200, json=tracker(said, number))
        scans = await ActivityEnvironment().run(
            activities.poll_tracking, PollTracking(order_id=order_id, tracking_numbers=[number])
        )
        assert [s.status for s in scans] == [told], said
    assert registered.call_count == 1  # the tracker is read, not registered again


@respx.mock(base_url=API)
async def test_a_refused_tracker_does_not_fail_the_label(
    respx_mock: respx.MockRouter, tracking: EasyPostTracking, pool: asyncpg.Pool
) -> None:
    order_id = await new_order(pool)
    number = f"XX{order_id[:10].upper()}"
    respx_mock.post("/v2/trackers").respond(
        422, json={"error": {"code": "TRACKER.TRACKING_CODE.INVALID", "message": "invalid"}}
    )
    activities = CarrierActivities(pool, OneLabelCarrier(number), tracking)  # type: ignore[arg-type]
    label = await labelled(activities, order_id, Carrier.POST)
    kept = await parcels.one(pool, label.tracking_number)
    assert kept is not None and kept["tracker_id"] is None
    with pytest.raises(ProviderRejected, match="TRACKER.TRACKING_CODE.INVALID"):
        await tracking.register(number, Carrier.POST)


@pytest.mark.parametrize(
    ("answer", "raised"),
    [
        (httpx.Response(404, json={"error": {"code": "NOT_FOUND"}}), ProviderRejected),
        (httpx.Response(502), ProviderUnavailable),
        (httpx.Response(429, headers={"Retry-After": "3"}), ProviderUnavailable),
        (httpx.ConnectError("refused"), ProviderUnavailable),
    ],
    ids=["4xx", "5xx", "429", "network"],
)
async def test_errors_retry_or_not_as_easypost_means_them(
    answer: Any, raised: type[Exception], tracking: EasyPostTracking
) -> None:
    with respx.mock(base_url=API) as mock:
        mock.get("/v2/trackers/trk_1").mock(side_effect=[answer])
        with pytest.raises(raised):
            await tracking.read("trk_1")


def easypost_event(event_id: str, result: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "Event",
        "mode": "test",
        "description": "tracker.updated",
        "status": "pending",
        "result": result,
    }


def test_orderflows_signature_check_agrees_with_easyposts_own() -> None:
    body = json.dumps(easypost_event("evt_1", tracker("in_transit"))).encode()
    header = signature(body, SECRET)
    # EasyPost's library accepts what orderflow accepts ...
    assert easypost.util.validate_webhook(body, {"X-Hmac-Signature": header}, SECRET)
    assert signed_by(body, header, ["old-secret", SECRET])
    # ... and both refuse a tampered body or another secret
    tampered = body.replace(b"in_transit", b"delivered")
    assert not signed_by(tampered, header, [SECRET])
    with pytest.raises(easypost.errors.SignatureVerificationError):
        easypost.util.validate_webhook(tampered, {"X-Hmac-Signature": header}, SECRET)
    assert not signed_by(body, signature(body, "someone-else"), [SECRET])
    # a secret written in another Unicode form signs alike (EasyPost normalises it, NFKD)
    assert signed_by(body, signature(body, "ｓecret"), ["secret"])


def test_easypost_events_are_told_as_tracking_events() -> None:
    event_id, payload = event_of(easypost_event("evt_1", tracker("out_for_delivery"))) or ("", {})
    assert event_id == "evt_1"
    assert payload == {
        "type": "tracking.updated",
        "data": {
            "tracking_number": "EZ4000000004",
            "status": "out_for_delivery",
            "occurred_at": "2026-11-24T08:30:00Z",
        },
    }
    assert event_of(easypost_event("evt_2", tracker("unknown"))) is None
    assert (
        event_of({**easypost_event("evt_3", tracker("delivered")), "description": "batch.created"})
        is None
    )


def test_a_parcel_easypost_says_is_refused_at_customs_comes_back_with_that_reason() -> None:
    """IMA-CUS-1: a parcel back from customs is told apart from one back for its address."""
    refused = tracker("return_to_sender")
    refused["tracking_details"][-1]["message"] = "Shipment refused by customs: duties unpaid"
    _, payload = event_of(easypost_event("evt_4", refused)) or ("", {})
    assert payload["data"]["status"] == "return_to_sender"
    assert payload["data"]["reason"] == "customs"
    _, address = event_of(easypost_event("evt_5", tracker("return_to_sender"))) or ("", {})
    assert "reason" not in address["data"]


@pytest.fixture
async def with_easypost_webhooks(
    system_with: Callable[..., AbstractAsyncContextManager[System]],
) -> AsyncIterator[System]:
    async with system_with(
        with_worker=False,
        easypost_webhook_secret=SecretStr(f"old-secret {SECRET}"),
    ) as system:
        yield system


async def test_an_easypost_webhook_is_verified_stored_once_and_matched_by_its_parcel(
    with_easypost_webhooks: System, pool: asyncpg.Pool
) -> None:
    system = with_easypost_webhooks
    order_id = await new_order(pool)
    number = f"EZ{order_id[:12].upper()}"
    await parcels.keep(pool, number, order_id, "dhl", "trk_1")
    event_id = f"evt_{order_id}"
    body = json.dumps(easypost_event(event_id, tracker("in_transit", number))).encode()
    url = "/v1/webhooks/carriers/easypost"
    headers = {"X-Hmac-Signature": signature(body, SECRET), "Content-Type": "application/json"}
    for _ in range(2):  # EasyPost sends again; the inbox keeps it once
        answer = await system.api.post(url, content=body, headers=headers)
        assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": True, "duplicate": True}
    rows = await pool.fetch(
        "SELECT event_type, order_id, payload FROM webhook_inbox WHERE event_id = $1", event_id
    )
    assert [(r["event_type"], r["order_id"]) for r in rows] == [("tracking.updated", order_id)]
    data = rows[0]["payload"]["data"]
    assert data["status"] == "in_transit" and data["tracking_number"] == number
    assert datetime.fromisoformat(data["occurred_at"].replace("Z", "+00:00")).hour == 8
    tampered = await system.api.post(
        url, content=body.replace(b"in_transit", b"delivered"), headers=headers
    )
    assert tampered.status_code == 401
    assert tampered.headers["content-type"].startswith("application/problem+json")
    unsigned = await system.api.post(
        url, content=body, headers={"Content-Type": "application/json"}
    )
    assert unsigned.status_code == 401
