"""Line edits and partial cancellation over HTTP on the dev server, with the sandbox gateway:
a preview that changes nothing, the edit taken with an Idempotency-Key and sent again (one
edit, one charge), read back at once, a lower total refunded once, the e-mail in the sink,
refusals naming their field, and some lines cancelled by the band (IMA-EDT-1, KWO-CAN-1)."""

from __future__ import annotations

from email import message_from_bytes, policy
from typing import Any

from tests.integration.harness import OPERATOR, STOREFRONT, System, order_body, wait_for
from tests.integration.test_api_contract import assert_problem
from tests.integration.test_order_changes_http import reaches


async def _async(value: Any) -> Any:
    return value


LINES = [
    {"sku": "LAMP-1", "name": "Flashlight", "quantity": 2, "unit_price": "19.90"},
    {"sku": "CASE-1", "name": "Case", "quantity": 1, "unit_price": "5.00"},
]


def quantity(sku: str, n: int) -> dict[str, Any]:
    return {"changes": [{"op": "set_quantity", "sku": sku, "quantity": n}]}


async def ledger(pool: Any, order_id: str) -> list[tuple[str, str, str]]:
    rows = await pool.fetch(
        "SELECT movement, idempotency_key, amount::text AS amount FROM ledger"
        " WHERE order_id = $1 AND idempotency_key LIKE '%edit%' ORDER BY id",
        order_id,
    )
    return [(r["movement"], r["idempotency_key"].split(":", 1)[1], r["amount"]) for r in rows]


async def test_an_edit_previewed_taken_twice_and_read_back_at_once(
    system: System, pool: Any
) -> None:
    placed = await system.api.post(
        "/v1/orders", headers=STOREFRONT, json=order_body(merchant="holdshop", lines=LINES)
    )
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    mine = {"Authorization": f"Bearer {placed.json()['access_token']}"}
    await reaches(system, order_id, mine, "paid")
    base = f"/v1/orders/{order_id}/edits"

    preview = await system.api.post(f"{base}/preview", headers=mine, json=quantity("LAMP-1", 3))
    assert preview.status_code == 200, preview.text
    assert preview.json()["status"] == "preview" and "IMA-EDT-1" in preview.json()["clauses"]
    assert preview.json()["difference"] == {"amount": "19.90", "currency": "EUR"}
    assert await ledger(pool, order_id) == []  # a preview moves nothing

    keyed = {**mine, "Idempotency-Key": "more-lamps"}
    taken = await system.api.post(base, headers=keyed, json=quantity("LAMP-1", 3))
    assert taken.status_code == 201, taken.text
    assert taken.json()["status"] == "applied" and taken.json()["settlement"] == "charged"
    seen = await system.api.get(taken.headers["Location"], headers=mine)
    assert seen.status_code == 200 and seen.json()["edit_id"] == taken.json()["edit_id"]
    assert seen.json()["total"] == {"amount": "64.70", "currency": "EUR"}
    again = await system.api.post(base, headers=keyed, json=quantity("LAMP-1", 3))
    assert again.status_code == 201 and again.json() == taken.json()
    other_body = await system.api.post(base, headers=keyed, json=quantity("LAMP-1", 4))
    assert_problem(other_body, 422)

    down = await system.api.post(
        base, headers={**mine, "Idempotency-Key": "fewer"}, json=quantity("LAMP-1", 1)
    )
    assert down.status_code == 201, down.text
    assert down.json()["settlement"] == "refunded"
    assert down.json()["moved"] == {"amount": "39.80", "currency": "EUR"}
    edit_id, fewer_id = taken.json()["edit_id"], down.json()["edit_id"]
    assert await ledger(pool, order_id) == [
        ("authorization", f"authorization:edit:{edit_id}", "19.900"),
        ("capture", f"capture:edit:{edit_id}", "19.900"),
        ("refund", f"refund:edit:{fewer_id}", "39.800"),
    ]
    view = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
    assert [(line["sku"], line["quantity"]) for line in view["lines"]] == [
        ("LAMP-1", 1),
        ("CASE-1", 1),
    ]
    assert view["amounts"]["total"] == {"amount": "24.90", "currency": "EUR"}

    unknown = await system.api.post(base, headers=mine, json=quantity("NOPE", 2))
    assert assert_problem(unknown, 422, "changes[0].sku")
    priced = await system.api.post(
        base,
        headers=mine,
        json={"changes": [{"op": "add", "line": {**LINES[1], "sku": "CASE-2"}}]},
    )
    assert assert_problem(priced, 403, "changes[0].op")

    cancel = await system.api.post(
        f"/v1/orders/{order_id}/lines/cancel", headers=mine, json={"lines": [{"sku": "CASE-1"}]}
    )
    assert cancel.status_code == 200, cancel.text
    assert cancel.json()["refund"] == {"amount": "5.00", "currency": "EUR"}
    assert "KWO-CAN-1" in cancel.json()["clauses"]
    all_of_it = await system.api.post(
        f"/v1/orders/{order_id}/lines/cancel", headers=mine, json={"lines": [{"sku": "LAMP-1"}]}
    )
    assert assert_problem(all_of_it, 422, "lines")

    async def changed_mail() -> bool:
        subjects = [
            message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"]
            for p in system.mail.messages()
        ]
        return subjects.count(f"Order {order_id} was changed") >= 3

    await wait_for(changed_mail, within=15)


async def test_an_operators_raise_waits_for_the_customers_approval(system: System) -> None:
    """IMA-EDT-1: an operator adds a line; the answer says it waits for the customer, the GET
    says so too, and the customer's approval charges it."""
    placed = await system.api.post(
        "/v1/orders", headers=STOREFRONT, json=order_body(merchant="holdshop")
    )
    order_id = placed.json()["order_id"]
    mine = {"Authorization": f"Bearer {placed.json()['access_token']}"}
    await reaches(system, order_id, mine, "paid")
    strap = {"sku": "STRAP-1", "name": "Strap", "quantity": 1, "unit_price": "8.00"}
    proposed = await system.api.post(
        f"/v1/orders/{order_id}/edits",
        headers=OPERATOR,
        json={"changes": [{"op": "add", "line": strap}]},
    )
    assert proposed.status_code == 201, proposed.text
    assert proposed.json()["status"] == "awaiting_approval" and proposed.json()["approve_by"]
    path = proposed.headers["Location"]
    assert (await system.api.get(path, headers=mine)).json()["status"] == "awaiting_approval"
    by_operator = await system.api.post(
        f"{path}/approval", headers=OPERATOR, json={"approve": True}
    )
    assert_problem(by_operator, 403)
    approved = await system.api.post(f"{path}/approval", headers=mine, json={"approve": True})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "applied" and approved.json()["settlement"] == "charged"
    assert (await system.api.get(path, headers=mine)).json()["status"] == "applied"
