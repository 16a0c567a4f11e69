"""The sandbox providers behave like real ones: idempotency keys, outcomes by test card."""

from __future__ import annotations

from typing import Any

import httpx

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
