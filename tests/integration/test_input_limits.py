"""Input a customer or a provider types is bounded and checked at the door: a clear 4xx,
never a 500, never an order that can only fail."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from sandbox.webhooks import signed_headers
from tests.integration.harness import STOREFRONT, System, history_plaintext, order_body
from tests.integration.test_api_contract import assert_problem
from tests.integration.test_order_changes_http import place, reaches
from workflows.names import order_workflow_id


def line(price: str, quantity: int = 1) -> dict[str, Any]:
    return {"sku": "LAMP-1", "name": "Lamp", "quantity": quantity, "unit_price": price}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": [line("0.00")]}, "lines"),
        ({"lines": [line("9999999999990.00")]}, "lines.0.unit_price"),
        ({"lines": [line("10000.00"), line("10000.01")]}, "lines"),  # demo's max_order_total
        ({"lines": [line("9999999999.99", 1000) for _ in range(100)]}, "lines"),
    ],
)
async def test_amounts_outside_what_a_payment_can_be_are_refused(
    system: System, change: dict[str, Any], field: str
) -> None:
    response = await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body(**change))
    assert_problem(response, 422, field)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer": {"email": "a\u0000b@example.com"}}, "customer.email"),
        (
            {"shipping_address": {"name": "J\u0000", "line1": "x", "city": "R", "country": "LV"}},
            "shipping_address.name",
        ),
        ({"lines": [{**line("9.99"), "name": "Lamp\u0007"}]}, "lines.0.name"),
        (
            {"shipping_address": {"name": "J", "line1": "x\ny", "city": "R", "country": "LV"}},
            "shipping_address.line1",
        ),
        ({"customer": {"email": "a@example.com", "phone": "\ud800"}}, "customer.phone"),
    ],
)
async def test_control_characters_are_refused(
    system: System, change: dict[str, Any], field: str
) -> None:
    escaped = json.dumps(order_body(**change)).encode()  # \u escapes, as a client may send
    headers = {**STOREFRONT, "content-type": "application/json"}
    response = await system.api.post("/v1/orders", headers=headers, content=escaped)
    assert_problem(response, 422, field)


def signed(system: System, body: bytes) -> dict[str, str]:
    secret = system.settings.carrier_webhook_secret.get_secret_value()
    return signed_headers(secret, f"evt_{uuid.uuid4().hex}", body)


@pytest.mark.parametrize(
    "body",
    [
        b'{"type": "tracking.updated", "data": {"reference": "o\\u0000", "status": "x"}}',
        b'{"type": "tracking.updated", "data": {"weight": NaN}}',
        b'{"type": "tracking.updated", "data": {"weight": 1e999}}',
        b'{"type": "tracking.updated", "data": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5001,
    ],
    ids=["nul", "nan", "overflow", "deep"],
)
async def test_a_signed_webhook_that_is_not_plain_json_is_a_400(
    system: System, pool: Any, body: bytes
) -> None:
    headers = signed(system, body)
    response = await system.api.post("/v1/webhooks/carriers/sandbox", headers=headers, content=body)
    assert_problem(response, 400)
    stored = await pool.fetchval(
        "SELECT count(*) FROM webhook_inbox WHERE event_id = $1", headers["webhook-id"]
    )
    assert stored == 0
    json.dumps(response.json())


async def test_a_cancel_reason_is_bounded_and_a_refused_one_leaves_the_order_as_it_was(
    system: System, pool: Any
) -> None:
    order_id, mine = await place(system, "holdshop")
    await reaches(system, order_id, mine, "paid")
    cancel = f"/v1/orders/{order_id}/cancel"
    huge = {"reason": "x" * (3 * 1024 * 1024)}
    assert_problem(await system.api.post(cancel, headers=mine, json=huge), 413)
    too_long = {"reason": "x" * 501}
    assert_problem(await system.api.post(cancel, headers=mine, json=too_long), 422, "reason")
    nul = {"reason": "a\u0000b"}
    assert_problem(await system.api.post(cancel, headers=mine, json=nul), 422, "reason")
    assert (await reaches(system, order_id, mine, "paid"))["status"] == "paid"

    said = "changed my mind, write to me at jane@example.com"
    answer = await system.api.post(cancel, headers=mine, json={"reason": said})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "cancelled"
    history = await system.client.get_workflow_handle(order_workflow_id(order_id)).fetch_history()
    assert "changed my mind" not in history_plaintext(history)
    assert (
        await pool.fetchval("SELECT cancel_reason FROM orders WHERE order_id = $1", order_id)
        == said
    )
