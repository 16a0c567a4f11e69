"""A subscription over HTTP on the dev server with the sandbox gateway: a card saved at the
gateway, the first period charged without the customer and receipted, then cancelled within
7 days: refunded once and stopped (SVC-SUB-1, SVC-GEN-1); a card that cannot be charged
off-session never activates the service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.integration.harness import OPERATOR, STOREFRONT, System, wait_for
from tests.integration.test_api_contract import assert_problem
from workflows.names import SUBSCRIPTION_STATUS, subscription_workflow_id


async def saved_card(system: System, number: str) -> str:
    answer = await system.sandbox.post(
        "/payments/v1/payment_methods",
        json={"card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}},
    )
    assert answer.status_code == 201, answer.text
    token: str = answer.json()["id"]
    return token


def subscription(token: str, **changes: Any) -> dict[str, Any]:
    return {
        "merchant": "services",
        "plan": "PRO",
        "plan_name": "Pro hosting",
        "price": "29.00",
        "currency": "EUR",
        "customer": {"email": "jane@example.com"},
        "payment": {"method": "card", "token": token},
        **changes,
    }


async def test_a_subscription_from_purchase_to_a_refunded_cancellation(system: System) -> None:
    token = await saved_card(system, "4242424242424242")
    headers = {**STOREFRONT, "Idempotency-Key": "sub-http-1"}
    started = await system.api.post("/v1/subscriptions", headers=headers, json=subscription(token))
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["status"] == "active" and body["next_charge_at"]
    sid = body["subscription_id"]
    again = await system.api.post("/v1/subscriptions", headers=headers, json=subscription(token))
    assert again.json()["subscription_id"] == sid and again.headers["Idempotent-Replayed"]
    mine = {"Authorization": f"Bearer {body['access_token']}"}
    view = (await system.api.get(f"/v1/subscriptions/{sid}", headers=mine)).json()
    [charge] = view["payments"]
    assert charge["movement"] == "charge" and charge["status"] == "captured"
    assert charge["idempotency_key"] == f"{sid}:period:1"
    assert charge["amount"] == {"amount": "29.00", "currency": "EUR"}
    activated = view["timeline"][0]
    assert activated["kind"] == "activated" and activated["clauses"] == ["SVC-GEN-1", "SVC-SUB-1"]
    assert (await system.api.get(f"/v1/subscriptions/{sid}", headers=STOREFRONT)).status_code == 404

    wrong = await system.api.post(
        f"/v1/subscriptions/{sid}/cancel", headers=mine, json={"stop": "tomorrow"}
    )
    assert_problem(wrong, 422)
    cancelled = await system.api.post(
        f"/v1/subscriptions/{sid}/cancel", headers=mine, json={"stop": "end_of_cycle"}
    )
    assert cancelled.status_code == 200, cancelled.text
    answer = cancelled.json()
    assert answer["status"] == "cancelled" and answer["clauses"] == ["SVC-SUB-1"]
    assert answer["refund"] == {"amount": "29.00", "currency": "EUR"}

    async def settled() -> dict[str, Any] | None:
        view = (await system.api.get(f"/v1/subscriptions/{sid}", headers=OPERATOR)).json()
        return view if view["status"] == "cancelled" else None

    view = await wait_for(settled, within=30)
    refunds = [m for m in view["payments"] if m["movement"] == "refund"]
    assert [m["idempotency_key"] for m in refunds] == [f"{sid}:refund:period:1"]
    at_gateway = await system.sandbox.get(f"/payments/v1/payments/{charge['provider_ref']}")
    assert at_gateway.json()["refunded"] == 2900
    repeat = await system.api.post(
        f"/v1/subscriptions/{sid}/cancel", headers=mine, json={"stop": "immediately"}
    )
    assert repeat.status_code == 200 and repeat.json() == answer  # one outcome, decided once
    view = (await system.api.get(f"/v1/subscriptions/{sid}", headers=mine)).json()
    assert [m["movement"] for m in view["payments"]] == ["charge", "refund"]
    handle = system.client.get_workflow_handle(subscription_workflow_id(sid))
    described = await handle.describe()
    assert described.typed_search_attributes.get(SUBSCRIPTION_STATUS) == "cancelled"
    assert {e["template"] for e in view["emails"]} >= {
        "subscription_receipt",
        "subscription_cancelled",
    }


async def test_a_card_declined_off_session_never_activates_the_service(system: System) -> None:
    """The gateway keeps the card but declines charges without the customer: the first
    payment is declined, the subscription ends at once, nothing captured."""
    token = await saved_card(system, "4000000000000341")
    started = await system.api.post(
        "/v1/subscriptions", headers=STOREFRONT, json=subscription(token)
    )
    assert started.status_code == 201, started.text
    assert started.json()["status"] == "ended"
    assert started.json()["decline_code"] == "card_declined"


async def test_a_subscriptions_claim_and_question_are_answered_by_a_person_within_48_hours(
    system: System,
) -> None:
    """SVC-CLM-1, SVC-SUP-1, through the whole stack: a written non-delivery claim on a
    subscription's paid period and a question each become a task an operator answers, due
    48 hours after they were filed (services' support time); the answer is mailed."""
    token = await saved_card(system, "4242424242424242")
    started = await system.api.post(
        "/v1/subscriptions",
        headers={**STOREFRONT, "Idempotency-Key": "sub-http-claims"},
        json=subscription(token),
    )
    assert started.status_code == 201, started.text
    sid, access = started.json()["subscription_id"], started.json()["access_token"]
    mine = {"Authorization": f"Bearer {access}"}
    filed_at = datetime.now(UTC)
    filed = await system.api.post(
        f"/v1/subscriptions/{sid}/claims",
        headers=mine,
        json={"kind": "non_delivery", "description": "The hosting was never set up."},
    )
    assert filed.status_code == 201, filed.text
    claim = filed.json()
    assert claim["subscription_id"] == sid and "SVC-CLM-1" in claim["clauses"]
    asked = await system.api.post(
        f"/v1/subscriptions/{sid}/messages", headers=mine, json={"text": "Is my site backed up?"}
    )
    assert asked.status_code == 201, asked.text
    question = asked.json()["claim_id"]

    async def tasks() -> dict[str, dict[str, Any]] | None:
        listed = (await system.api.get("/v1/ops/tasks", headers=OPERATOR)).json()["items"]
        found = {t["ref"]: t for t in listed if t["ref"] in (claim["claim_id"], question)}
        return found if len(found) == 2 else None

    found = await wait_for(tasks, within=30)
    assert found[claim["claim_id"]]["kind"] == "claim"
    assert found[question]["kind"] == "customer_message"
    for task in found.values():
        due = datetime.fromisoformat(task["due_at"])
        assert timedelta(hours=47) < due - filed_at < timedelta(hours=49)
        assert "SVC-SUP-1" in task["clauses"]
    answered = await system.api.post(
        f"/v1/ops/claims/{question}/answer",
        headers=OPERATOR,
        json={"operator": "Anna", "text": "Every night, kept 30 days."},
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "answered"
