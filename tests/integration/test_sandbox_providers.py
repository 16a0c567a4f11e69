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
