"""The sandbox providers behave like real ones: idempotency keys, outcomes by test card and
test address, faults counted as they fire, an SMTP server that can be down for a while."""

from __future__ import annotations

import asyncio
import smtplib
from pathlib import Path
from typing import Any

import httpx
import pytest

from runtime.postgres import free_port
from runtime.settings import Settings
from sandbox.app import create_app
from sandbox.smtp import start_sink
from tests.integration.harness import System


async def create_payment(
    system: System, token: str, *, key: str | None = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await system.sandbox.post(
        "/payments/v1/payments",
        headers={**({"Idempotency-Key": key} if key else {}), **(headers or {})},
        json={"amount": 3980, "currency": "EUR", "payment_method": token, "reference": "o-x"},
    )


async def test_a_repeated_capture_with_the_same_key_moves_money_once(system: System) -> None:
    created = await create_payment(system, "pm_card_approved", key="k-auth")
    again = await create_payment(system, "pm_card_approved", key="k-auth")
    assert created.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
    capture = f"/payments/v1/payments/{created.json()['id']}/capture"
    first = await system.sandbox.post(capture, headers={"Idempotency-Key": "k-cap"}, json={})
    second = await system.sandbox.post(capture, headers={"Idempotency-Key": "k-cap"}, json={})
    assert first.json()["status"] == second.json()["status"] == "captured"
    refund = await system.sandbox.post(
        f"/payments/v1/payments/{created.json()['id']}/refunds",
        headers={"Idempotency-Key": "k-ref"},
        json={"amount": 5000},
    )
    assert refund.status_code == 400  # never more than was captured


async def test_test_cards_decide_the_outcome(system: System) -> None:
    async def pay(number: str) -> dict[str, Any]:
        card = {"number": number, "exp_month": 1, "exp_year": 2031, "cvc": "999"}
        method = await system.sandbox.post("/payments/v1/payment_methods", json={"card": card})
        response = await create_payment(system, method.json()["id"])
        return {"http": response.status_code, **response.json()}

    assert (await pay("4242424242424242"))["status"] == "authorized"
    declined = await pay("4000000000009995")
    assert declined["status"] == "declined" and declined["decline_code"] == "insufficient_funds"
    assert (await pay("4000000000000119"))["http"] == 500


async def test_the_sandbox_refuses_a_wrong_api_key(system: System) -> None:
    response = await create_payment(
        system, "pm_card_approved", headers={"Authorization": "Bearer x"}
    )
    assert response.status_code == 401


async def test_the_sandbox_carrier_collects_at_the_booked_pickup_and_voids_what_it_has_not(
    system: System,
) -> None:
    """IMA-SHP-2: a label booked for a later pickup is not scanned before it; a label not yet
    collected is voided and never scanned; one the carrier has is not voided."""
    from datetime import UTC, datetime, timedelta

    from adapters.carriers import Destination
    from adapters.carriers.sandbox import SandboxCarrier
    from domain.policy import Carrier
    from tests.integration.harness import wait_for

    carrier = SandboxCarrier(
        system.settings.carrier_provider_url,
        system.settings.carrier_provider_api_key.get_secret_value(),
    )
    to = Destination(name="Jane Doe", line1="Brivibas iela 1", city="Riga", country="LV")
    try:
        later = await carrier.buy_label(
            carrier=Carrier.DHL,
            reference="o-pickup",
            destination=to,
            idempotency_key="lbl-later",
            pickup_at=datetime.now(UTC) + timedelta(hours=3),
        )
        now = await carrier.buy_label(
            carrier=Carrier.DHL, reference="o-now", destination=to, idempotency_key="lbl-now"
        )

        async def collected() -> bool:
            return await carrier.track(now.tracking_number) != "label_created"

        await wait_for(collected, within=15)
        assert await carrier.track(later.tracking_number) == "label_created"
        assert await carrier.void_label(later.label_id) is True
        assert await carrier.track(later.tracking_number) == "voided"
        assert await carrier.void_label(now.label_id) is False
    finally:
        await carrier.aclose()


async def test_a_capture_refused_card_authorises_and_is_refused_at_capture(system: System) -> None:
    """The chaos run's capture refused for good: authorised, its capture a 402, the
    authorisation still open until voided."""
    created = await create_payment(system, "pm_card_capture_refused")
    assert created.json()["status"] == "authorized"
    payment = f"/payments/v1/payments/{created.json()['id']}"
    refused = await system.sandbox.post(f"{payment}/capture", json={})
    assert refused.status_code == 402 and "refused the capture" in refused.json()["error"]
    voided = await system.sandbox.post(f"{payment}/void")
    assert voided.json()["status"] == "voided"


async def test_the_carrier_refuses_a_label_outside_its_network(system: System) -> None:
    label = {
        "service": "dhl",
        "reference": "o-x",
        "destination": {
            "name": "A",
            "line1": "Outside the network 1",
            "city": "Riga",
            "country": "LV",
        },
    }
    key = system.settings.carrier_provider_api_key.get_secret_value()
    carrier = {"Authorization": f"Bearer {key}"}
    refused = await system.sandbox.post("/carriers/v1/labels", json=label, headers=carrier)
    assert refused.status_code == 422 and "outside" in refused.json()["error"]
    label["destination"]["line1"] = "Brivibas iela 1"  # type: ignore[index]
    taken = await system.sandbox.post("/carriers/v1/labels", json=label, headers=carrier)
    assert taken.status_code == 201


async def test_the_sandbox_counts_the_faults_that_fired_not_those_armed(system: System) -> None:
    faults = "/payments/v1/sandbox/faults"
    await system.sandbox.post(faults, json={"operation": "capture", "mode": "error", "times": 1})
    await system.sandbox.post(faults, json={"operation": "refund", "mode": "error", "times": 1})
    created = await create_payment(system, "pm_card_approved")
    capture = f"/payments/v1/payments/{created.json()['id']}/capture"
    assert (await system.sandbox.post(capture, json={})).status_code == 500
    counted = (await system.sandbox.get(faults)).json()
    assert counted == {"armed": ["refund"], "fired": {"capture error": 1}}
    await system.sandbox.delete(faults)


async def test_the_smtp_sink_goes_down_for_an_outage_and_comes_back(tmp_path: Path) -> None:
    """The chaos run's SMTP outage: while down the sink refuses connections as a mail server
    that is away does; afterwards it takes mail into the same folder."""
    port = free_port()
    sink, mail = start_sink(tmp_path / "mail", "127.0.0.1", port)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, tmp_path / "mail", sink)
    key = {"Authorization": f"Bearer {settings.payment_provider_api_key.get_secret_value()}"}

    def send() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
            smtp.sendmail("shop@example.com", ["c@example.com"], "Subject: hi\n\nhello")

    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://sandbox"
        ) as client:
            down = await client.post("/mail/v1/sandbox/outage", json={"seconds": 1.5}, headers=key)
            assert down.status_code == 202
            with pytest.raises(OSError):
                await asyncio.to_thread(send)
            await asyncio.sleep(2.5)
            await asyncio.to_thread(send)
        assert len(mail.messages()) == 1
    finally:
        sink.stop()
