"""Payments end to end over HTTP with the sandbox gateway: the customer acts on the page
`next_action.url` names, the outcome comes back as a signed webhook, and the order moves on
(IMA-PAY-1..4)."""

from __future__ import annotations

from email import message_from_bytes, policy
from typing import Any

import httpx

from tests.integration.harness import OPERATOR, STOREFRONT, System, order_body, wait_for
from tests.integration.test_api_contract import assert_problem


async def place(system: System, **changes: Any) -> tuple[dict[str, Any], dict[str, str]]:
    placed = await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body(**changes))
    assert placed.status_code == 201, placed.text
    return placed.json(), {"Authorization": f"Bearer {placed.json()['access_token']}"}


async def reaches(system: System, order_id: str, mine: dict[str, str], *statuses: str) -> Any:
    async def check() -> dict[str, Any] | None:
        view = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
        return view if view["status"] in statuses else None

    return await wait_for(check, within=30)


async def customer_visits(url: str, outcome: str | None = None) -> httpx.Response:
    """The customer's browser: opens the provider's page, then presses a button on it."""
    async with httpx.AsyncClient(timeout=10) as browser:
        page = await browser.get(url)
        assert page.status_code == 200 and "<form" in page.text
        # the provider's own answer, not the way back to the shop (tests/integration/test_page.py)
        plain = httpx.URL(url).copy_remove_param("return_url")
        return await browser.post(plain, params={"outcome": outcome} if outcome else None)


def movements(view: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [m for m in view["payments"] if m["movement"] == kind]


async def test_a_3ds_card_order_waits_for_the_challenge_then_completes(system: System) -> None:
    """IMA-PAY-2: 201 awaiting_3ds with next_action.url; the challenge passed at the gateway
    arrives as a webhook, and the order is captured once and delivered."""
    placed, mine = await place(system, merchant="secureshop")
    assert placed["status"] == "awaiting_3ds"
    url = placed["next_action"]["url"]
    assert url.startswith(system.settings.payment_provider_url)
    view = (await system.api.get(f"/v1/orders/{placed['order_id']}", headers=mine)).json()
    # the same challenge; each answer carries a way back of its own (one-time each)
    assert view["status"] == "awaiting_3ds"
    assert view["next_action"]["url"].split("return_url=")[0] == url.split("return_url=")[0]
    assert view["deadlines"]["payment_action_by"]

    passed = await customer_visits(url, "complete")
    assert passed.json()["status"] == "authorized"
    view = await reaches(system, placed["order_id"], mine, "delivered", "completed")
    assert [m["status"] for m in movements(view, "authorization")] == ["authorized"]
    assert [m["status"] for m in movements(view, "capture")] == ["captured"]
    assert "next_action" not in view


async def test_a_failed_challenge_may_be_retried_with_another_card(system: System) -> None:
    """IMA-PAY-2: the challenge fails; the customer retries with another card, which is its
    own provider payment; the first page can no longer authorise anything."""
    placed, mine = await place(
        system, merchant="secureshop", payment={"method": "card", "token": "pm_card_3ds_failed"}
    )
    first_url = placed["next_action"]["url"]
    failed = await customer_visits(first_url, "complete")
    assert failed.json()["decline_code"] == "authentication_failed"
    await reaches(system, placed["order_id"], mine, "payment_failed")

    retry = await system.api.post(
        f"/v1/orders/{placed['order_id']}/payment/retry",
        headers=mine,
        json={"payment": {"method": "card", "token": "pm_card_approved"}},
    )
    assert retry.status_code == 200, retry.text
    assert retry.json()["attempt"] == 2 and retry.json()["status"] == "awaiting_3ds"
    second_url = retry.json()["next_action"]["url"]
    assert second_url != first_url
    async with httpx.AsyncClient(timeout=10) as browser:
        assert (await browser.post(first_url, params={"outcome": "complete"})).status_code == 409
    await customer_visits(second_url, "complete")
    view = await reaches(system, placed["order_id"], mine, "delivered", "completed")
    assert len(movements(view, "capture")) == 1
    assert [m["status"] for m in movements(view, "authorization")] == ["declined", "authorized"]


async def test_a_retry_without_a_failed_payment_is_409_with_the_clause(system: System) -> None:
    """IMA-PAY-2"""
    placed, mine = await place(system, merchant="secureshop")
    retry = await system.api.post(
        f"/v1/orders/{placed['order_id']}/payment/retry",
        headers=mine,
        json={"payment": {"method": "card", "token": "pm_card_approved"}},
    )
    assert assert_problem(retry, 409)["clause"] == "IMA-PAY-2"


async def test_paypal_is_approved_at_the_provider_then_captured(system: System) -> None:
    """IMA-PAY-1"""
    placed, mine = await place(system, payment={"method": "paypal"})
    assert placed["status"] == "awaiting_paypal_approval"
    approved = await customer_visits(placed["next_action"]["url"], "approve")
    assert approved.json()["status"] == "authorized"
    view = await reaches(system, placed["order_id"], mine, "delivered", "completed")
    assert [m["status"] for m in movements(view, "capture")] == ["captured"]


async def test_an_e_invoice_is_mailed_with_its_link_and_the_paid_order_ships(
    system: System,
) -> None:
    """IMA-PAY-3: the invoice e-mail carries the pay link; paying it captures the order."""
    placed, mine = await place(system, payment={"method": "invoice"})
    assert placed["status"] == "awaiting_invoice_payment"
    url = placed["next_action"]["url"]

    async def invoice_mail() -> str | None:
        for path in system.mail.messages():
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["Subject"] == f"Invoice for order {placed['order_id']}":
                return str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
        return None

    body = await wait_for(invoice_mail, within=15)
    assert url in body
    paid = await customer_visits(url)
    assert paid.json()["status"] == "captured"
    view = await reaches(system, placed["order_id"], mine, "delivered", "completed")
    assert [m["status"] for m in movements(view, "invoice")] == ["captured"]
    assert [m["status"] for m in movements(view, "capture")] == ["captured"]


async def test_a_second_coupon_is_refused_at_intake_with_the_clause(system: System) -> None:
    """IMA-PAY-4: one coupon code per order; the order is not stored."""
    response = await system.api.post(
        "/v1/orders", headers=STOREFRONT, json=order_body(coupons=["WELCOME10", "SPRING5"])
    )
    problem = assert_problem(response, 422)
    assert problem["clause"] == "IMA-PAY-4" and problem["field"] == "coupons"
    one = await system.api.post(
        "/v1/orders", headers=STOREFRONT, json=order_body(coupons=["WELCOME10"])
    )
    assert one.status_code == 201


async def test_an_operator_approves_an_order_held_for_review(system: System) -> None:
    """IMA-FRD-1: an order billed abroad above the amount threshold waits in fraud_review;
    only the operator key may decide, and the approved order is captured and delivered."""
    billing = {**order_body()["shipping_address"], "country": "DE"}
    placed, mine = await place(system, merchant="reviewshop", billing_address=billing)
    assert placed["status"] == "fraud_review"
    order_id = placed["order_id"]
    view = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
    held = next(e for e in view["timeline"] if e["kind"] == "fraud_review")
    assert held["clauses"] == ["IMA-FRD-1"]
    assert held["details"]["signals"] == [
        "amount_at_or_above_threshold",
        "billing_shipping_country_mismatch",
    ]
    path = f"/v1/ops/orders/{order_id}/fraud-review"
    assert_problem(await system.api.post(path, headers=mine, json={"verdict": "approve"}), 401)
    bad = await system.api.post(path, headers=OPERATOR, json={"verdict": "maybe"})
    assert assert_problem(bad, 422)["field"] == "verdict"
    approved = await system.api.post(
        path, headers=OPERATOR, json={"verdict": "approve", "operator": "ops-1"}
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["clauses"] == ["IMA-FRD-1"]
    view = await reaches(system, order_id, mine, "delivered", "completed")
    assert [m["movement"] for m in view["payments"]] == ["authorization", "capture"]
    again = await system.api.post(
        path, headers=OPERATOR, json={"verdict": "approve", "operator": "ops-1"}
    )
    assert assert_problem(again, 409)["clause"] == "IMA-FRD-1"
