"""Editing and cancelling over HTTP, end to end: the answer is synchronous, a refusal is a
409 naming the clause, and a cancellation refunds once (IMA-EDT-1, KWO-CAN-1, KWO-CAN-3)."""

from __future__ import annotations

from decimal import Decimal
from email import message_from_bytes, policy
from typing import Any

from tests.integration.harness import OPERATOR, STOREFRONT, System, order_body, wait_for
from tests.integration.test_api_contract import assert_problem

NEW_ADDRESS = {
    "name": "Jane Doe",
    "line1": "Elizabetes iela 2",
    "city": "Riga",
    "postal_code": "LV-1050",
    "country": "LV",
}


async def place(
    system: System, merchant: str, line1: str | None = None
) -> tuple[str, dict[str, str]]:
    """An order placed, to `line1` (a sandbox carrier's test address) when given."""
    body = order_body(merchant=merchant)
    if line1 is not None:
        body["shipping_address"] = {**NEW_ADDRESS, "line1": line1}
    placed = await system.api.post("/v1/orders", headers=STOREFRONT, json=body)
    assert placed.status_code == 201, placed.text
    return placed.json()["order_id"], {"Authorization": f"Bearer {placed.json()['access_token']}"}


async def reaches(
    system: System, order_id: str, mine: dict[str, str], status: str
) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        view = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
        return view if view["status"] == status else None

    return await wait_for(check, within=30)


async def test_address_change_then_cancellation_over_http(system: System, pool: Any) -> None:
    order_id, mine = await place(system, "holdshop")
    view = await reaches(system, order_id, mine, "paid")
    assert view["deadlines"]["edit_window_closes_at"]

    changed = await system.api.patch(
        f"/v1/orders/{order_id}/shipping-address", headers=mine, json=NEW_ADDRESS
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["clauses"] == ["IMA-EDT-1"]
    view = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
    assert view["shipping_address"]["line1"] == "Elizabetes iela 2"
    assert any(e["kind"] == "shipping_address_changed" for e in view["timeline"])

    cancelled = await system.api.post(f"/v1/orders/{order_id}/cancel", headers=mine)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["refund"] == {"amount": "39.80", "currency": "EUR"}
    assert "KWO-CAN-1" in cancelled.json()["clauses"]
    view = await reaches(system, order_id, mine, "cancelled")
    assert [(m["movement"], m["status"]) for m in view["payments"]][-1] == ("refund", "succeeded")
    assert view["shipments"] == []

    again = await system.api.post(f"/v1/orders/{order_id}/cancel", headers=mine)
    assert again.status_code == 200 and again.json()["refund"] == cancelled.json()["refund"]
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM ledger WHERE order_id = $1 AND movement = 'refund'", order_id
        )
        == 1
    )
    payment = view["payments"][1]["provider_ref"]
    provider = await system.sandbox.get(f"/payments/v1/payments/{payment}")
    assert provider.json()["status"] == "refunded"

    late_edit = await system.api.patch(
        f"/v1/orders/{order_id}/shipping-address", headers=mine, json=NEW_ADDRESS
    )
    assert assert_problem(late_edit, 409)["clause"] == "IMA-EDT-1"

    async def cancellation_mail() -> bool:
        subjects = [
            message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"]
            for p in system.mail.messages()
        ]
        return f"Order {order_id} is cancelled" in subjects

    await wait_for(cancellation_mail, within=15)


async def test_a_shipped_order_can_be_neither_edited_nor_cancelled(system: System) -> None:
    order_id, mine = await place(system, "demo")

    async def left() -> dict[str, Any] | None:
        view = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
        return view if view["shipments"] else None

    await wait_for(left, within=30)
    refused = await system.api.post(f"/v1/orders/{order_id}/cancel", headers=mine)
    assert assert_problem(refused, 409)["clause"] == "KWO-CAN-3"
    edit = await system.api.patch(
        f"/v1/orders/{order_id}/shipping-address", headers=mine, json=NEW_ADDRESS
    )
    assert assert_problem(edit, 409)["clause"] == "IMA-EDT-1"


async def test_changes_need_the_orders_own_token(system: System) -> None:
    order_id, _ = await place(system, "holdshop")
    assert_problem(await system.api.post(f"/v1/orders/{order_id}/cancel"), 404)
    assert_problem(
        await system.api.patch(
            f"/v1/orders/{order_id}/shipping-address", headers=STOREFRONT, json=NEW_ADDRESS
        ),
        404,
    )


async def test_a_parcel_sent_back_is_reshipped_once_the_customer_pays_over_http(
    system: System, pool: Any
) -> None:
    """IMA-EDT-2 end to end: the sandbox carrier sends a parcel for an undeliverable address
    back; the customer gives a corrected address and pays the reshipping fee; the new
    parcel leaves to that address and is delivered."""
    order_id, mine = await place(system, "demo", "Undeliverable iela 0")

    async def offered() -> dict[str, Any] | None:
        view = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
        return view if view["deadlines"].get("pay_reshipping_by") else None

    view = await wait_for(offered, within=30)
    assert view["status"] == "returned_to_sender"
    assert [s["status"] for s in view["shipments"]] == ["return_to_sender"]

    reship = {
        "shipping_address": NEW_ADDRESS,
        "payment": {"method": "card", "token": "pm_card_approved"},
    }
    paid = await system.api.post(f"/v1/orders/{order_id}/reship", headers=mine, json=reship)
    assert paid.status_code == 200, paid.text
    assert paid.json()["reshipping_fee"] == {"amount": "5.00", "currency": "EUR"}
    assert paid.json()["clauses"] == ["IMA-EDT-2"]

    async def delivered() -> dict[str, Any] | None:
        view = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
        return view if view["status"] in ("delivered", "completed") else None

    view = await wait_for(delivered, within=30)
    assert view["shipping_address"]["line1"] == NEW_ADDRESS["line1"]
    assert [s["status"] for s in view["shipments"]] == ["return_to_sender", "delivered"]
    captured = await pool.fetchval(
        "SELECT amount FROM ledger WHERE idempotency_key = $1 AND status = 'captured'",
        f"{order_id}:capture:reshipping:1",
    )
    assert captured == Decimal("5.00")

    again = await system.api.post(f"/v1/orders/{order_id}/reship", headers=mine, json=reship)
    assert assert_problem(again, 409)["clause"] == "IMA-EDT-2"


async def test_a_parcel_refused_at_customs_waits_for_an_operator_with_no_fee_over_http(
    system: System, pool: Any
) -> None:
    """IMA-CUS-1 end to end: the sandbox carrier sends a parcel back refused at customs; the
    shop that ships from abroad offers no paid reshipping: the customer is told, an operator's
    `customs_refusal` task waits on the list, and the operator's refund ends the order."""
    order_id, mine = await place(system, "customsshop", "Customs refused iela 0")

    async def on_the_list() -> dict[str, Any] | None:
        listed = (await system.api.get("/v1/ops/tasks", headers=OPERATOR)).json()["items"]
        return next(
            (t for t in listed if t["order_id"] == order_id and t["kind"] == "customs_refusal"),
            None,
        )

    task = await wait_for(on_the_list, within=30)
    assert task["action"]["path"] == f"/v1/ops/orders/{order_id}/refunds"
    view = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
    assert view["status"] == "returned_to_sender" and "pay_reshipping_by" not in view["deadlines"]
    refused = next(e for e in view["timeline"] if e["kind"] == "parcel_refused_at_customs")
    assert refused["clauses"] == ["IMA-CUS-1"]
    reship = {
        "shipping_address": NEW_ADDRESS,
        "payment": {"method": "card", "token": "pm_card_approved"},
    }
    assert_problem(
        await system.api.post(f"/v1/orders/{order_id}/reship", headers=mine, json=reship), 409
    )
    refund = {"amount": "39.80", "reason": "duties not paid", "operator": "ops-1"}
    done = await system.api.post(task["action"]["path"], headers=OPERATOR, json=refund)
    assert done.status_code == 201, done.text

    async def settled() -> bool:
        listed = (await system.api.get("/v1/ops/tasks", headers=OPERATOR)).json()["items"]
        return not any(t["order_id"] == order_id for t in listed)

    await wait_for(settled, within=30)
    fees = await pool.fetchval(
        "SELECT count(*) FROM ledger WHERE order_id = $1 AND idempotency_key LIKE '%reshipping%'",
        order_id,
    )
    assert fees == 0
