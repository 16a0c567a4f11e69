"""The whole stack for what the workflow layer guarantees at its edges: orders of a kind no
context handles are refused at placement, an act the order cannot answer in time is a 503
that a repeat resolves to one outcome, and operators refund up to what was captured."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.integration.harness import (
    OPERATOR,
    STOREFRONT,
    System,
    order_body,
    running_system,
    wait_for,
)
from tests.integration.test_api_contract import assert_problem
from tests.workflows.fakes import FakeWorld
from workflows.order.workflow import OrderWorkflow
from workflows.returns.workflow import ReturnWorkflow
from workflows.runner import workflow_runner

CARDNET = {
    "merchant": "cardnet",
    "currency": "SAR",
    "payment": {"method": "card", "token": "pm_card_approved"},
}


async def test_a_services_order_is_refused_at_placement_naming_the_line(system: System) -> None:
    """SVC-SUB-1: services are sold as subscriptions; an order of them would be paid and then
    stranded, so it is refused before anything is stored or charged."""
    body = order_body(merchant="services", payment={"method": "card", "token": "pm_card_approved"})
    refused = await system.api.post("/v1/orders", headers=STOREFRONT, json=body)
    problem = assert_problem(refused, 422)
    assert problem["field"] == "lines.0" and problem["clause"] == "SVC-SUB-1"


async def test_a_digital_card_is_refused_where_the_merchant_sells_none(system: System) -> None:
    """A kind no context of the merchant handles is refused at placement, never accepted and
    stranded: the demo shop sells no gift cards, so its line's category is named. At cardnet
    (CRD-DIG-1) the same card is taken."""
    card = {"sku": "GIFT-100", "name": "Gift card", "quantity": 1, "unit_price": "100.00"}
    demo = order_body(lines=[{**card, "category": "digital_card"}])
    problem = assert_problem(
        await system.api.post("/v1/orders", headers=STOREFRONT, json=demo), 422
    )
    assert problem["field"] == "lines.0.category"
    assert "sells no digital gift cards" in problem["detail"]
    body = order_body(**CARDNET, lines=[{**card, "category": "digital_card"}])
    taken = await system.api.post("/v1/orders", headers=STOREFRONT, json=body)
    assert taken.status_code == 201, taken.text


async def test_a_cancel_the_order_cannot_answer_is_503_and_its_repeat_gets_the_one_outcome(
    tmp_path: Path, database_url: str, dev_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    """KWO-CAN-1: with the worker down the cancellation cannot be answered: 503 with
    Retry-After, saying it may still take effect. The worker returns; the same request again
    answers the outcome, and the money moved once."""
    world = FakeWorld()
    async with running_system(
        tmp_path, database_url, dev_env.client, pool, with_worker=False, update_timeout_seconds=2
    ) as system:

        def worker() -> Worker:
            return Worker(
                dev_env.client,
                task_queue=system.settings.temporal_task_queue,
                workflows=[OrderWorkflow, ReturnWorkflow],
                workflow_runner=workflow_runner(),
                activities=world.activities(),
            )

        async with worker():
            placed = await system.api.post(
                "/v1/orders", headers=STOREFRONT, json=order_body(merchant="holdshop")
            )
            assert placed.status_code == 201, placed.text
            order_id = placed.json()["order_id"]
            mine = {"Authorization": f"Bearer {placed.json()['access_token']}"}

            async def scheduled() -> bool:
                return any(e.kind == "dispatch_scheduled" for e in world.events)

            await wait_for(scheduled, within=30)

        path = f"/v1/orders/{order_id}/cancel"
        unanswered = await system.api.post(path, headers=mine, json={"reason": "changed my mind"})
        problem = assert_problem(unanswered, 503)
        assert "may still take effect" in problem["detail"]
        assert unanswered.headers["Retry-After"] == "5"
        assert not any(c.startswith("refund") for c in world.calls)

        async with worker():
            # The worker back, the client repeats as told until it hears the outcome (the
            # order's first task after a restart may take longer than one 2 s answer).
            async def answered() -> Any:
                reply = await system.api.post(path, headers=mine, json={})
                return reply if reply.status_code != 503 else None

            again = await wait_for(answered, within=60)
            assert again.status_code == 200, again.text
            assert again.json()["status"] == "cancelled"
            assert again.json()["refund"] == {"amount": "39.80", "currency": "EUR"}
            assert "KWO-CAN-1" in again.json()["clauses"]
    assert [c for c in world.calls if c.startswith("refund")] == [
        f"refund:{order_id}:refund:cancellation:39.80 EUR"
    ]
    reason = await pool.fetchval("SELECT cancel_reason FROM orders WHERE order_id = $1", order_id)
    assert reason == "changed my mind"


async def test_an_operator_refunds_up_to_what_was_captured_once_per_key(
    system: System, pool: Any
) -> None:
    """KWO-REF-1: an operator's refund names who acted and why; asked twice with one
    Idempotency-Key it refunds once; more than what is left is a 409."""
    placed = await system.api.post(
        "/v1/orders", headers=STOREFRONT, json=order_body(merchant="holdshop")
    )
    order_id = placed.json()["order_id"]
    mine = {"Authorization": f"Bearer {placed.json()['access_token']}"}

    async def paid() -> bool:
        view = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
        return view["status"] == "paid"

    await wait_for(paid, within=30)
    path = f"/v1/ops/orders/{order_id}/refunds"
    body: dict[str, Any] = {"amount": "15.00", "reason": "goodwill", "operator": "ops-1"}
    assert_problem(await system.api.post(path, headers=mine, json=body), 401)
    keyed = {**OPERATOR, "Idempotency-Key": "goodwill-1"}
    first = await system.api.post(path, headers=keyed, json=body)
    assert first.status_code == 201, first.text
    assert first.json()["refunded_total"] == {"amount": "15.00", "currency": "EUR"}
    repeat = await system.api.post(path, headers=keyed, json=body)
    assert repeat.status_code == 201 and repeat.json() == first.json()
    too_much = {**body, "amount": "30.00"}
    problem = assert_problem(await system.api.post(path, headers=OPERATOR, json=too_much), 409)
    assert "only 24.80 EUR" in problem["detail"]
    missing = {k: v for k, v in body.items() if k != "reason"}
    assert (
        assert_problem(await system.api.post(path, headers=OPERATOR, json=missing), 422)["field"]
        == "reason"
    )
    refunds = await pool.fetch(
        "SELECT amount FROM ledger WHERE order_id = $1 AND movement = 'refund'", order_id
    )
    assert [r["amount"] for r in refunds] == [Decimal("15.00")]


async def test_free_shipping_makes_the_placed_orders_total_its_items(system: System) -> None:
    """IMA-SHP-1: the quote is decided at placement: shipping is free, the total the items."""
    placed = await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body())
    assert placed.status_code == 201, placed.text
    mine = {"Authorization": f"Bearer {placed.json()['access_token']}"}
    view = (await system.api.get(f"/v1/orders/{placed.json()['order_id']}", headers=mine)).json()
    assert view["amounts"]["shipping"] == {"amount": "0.00", "currency": "EUR"}
    assert (
        view["amounts"]["total"]
        == view["amounts"]["items"]
        == {"amount": "39.80", "currency": "EUR"}
    )


async def test_an_operator_refund_the_provider_refuses_is_a_502_and_the_order_goes_on(
    tmp_path: Path, database_url: str, dev_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    """KWO-REF-1: the policy allows the operator's refund, the provider refuses it for good.
    The operator hears a 502 with the provider's reason (never a 500), asking again with the
    same key hears the same, no money moved, and the order is still paid."""
    world = FakeWorld(refunds_up_to=Decimal("10.00"))
    async with running_system(
        tmp_path, database_url, dev_env.client, pool, with_worker=False
    ) as system:
        worker = Worker(
            dev_env.client,
            task_queue=system.settings.temporal_task_queue,
            workflows=[OrderWorkflow, ReturnWorkflow],
            workflow_runner=workflow_runner(),
            activities=world.activities(),
        )
        async with worker:
            placed = await system.api.post(
                "/v1/orders", headers=STOREFRONT, json=order_body(merchant="holdshop")
            )
            order_id = placed.json()["order_id"]

            async def paid() -> bool:
                return any(e.status and e.status.value == "paid" for e in world.events)

            await wait_for(paid, within=30)
            path = f"/v1/ops/orders/{order_id}/refunds"
            body = {"amount": "15.00", "reason": "goodwill", "operator": "ops-1"}
            keyed = {**OPERATOR, "Idempotency-Key": "goodwill-refused"}
            refused = assert_problem(await system.api.post(path, headers=keyed, json=body), 502)
            assert "refund above what was captured" in refused["detail"]
            again = assert_problem(await system.api.post(path, headers=keyed, json=body), 502)
            assert again["detail"] == refused["detail"]
            timeline = [
                (e.at.isoformat(), e.kind, e.status, e.summary)
                for e in world.events
                if e.order_id == order_id
            ]
            statuses = [status for _, _, status, _ in timeline if status is not None]
            assert statuses[-1] == "paid", timeline
    assert world.refused_refunds == [f"{order_id}:refund:operator:goodwill-refused"]
    assert not [c for c in world.calls if c.startswith("refund:")]
