"""The storefront API refuses bad input with problem+json naming the field, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from starter.problems import KINDS
from tests.integration.harness import OPERATOR, STOREFRONT, System, api_metrics, order_body

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    kind = body["type"].rpartition("/problems/")[2]
    assert kind in KINDS and KINDS[kind][1] in (status, 409), body["type"]
    if field is not None:
        assert body["field"] == field, body
    return body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"currency": "SAR"}, "currency"),
        ({"merchant": "nobody"}, "merchant"),
        ({"lines": []}, "lines"),
        (
            {"lines": [{"sku": "A", "name": "A", "quantity": 1, "unit_price": 9.99}]},
            "lines.0.unit_price",
        ),
        (
            {"lines": [{"sku": "A", "name": "A", "quantity": 0, "unit_price": "9.99"}]},
            "lines.0.quantity",
        ),
        (
            {"shipping_address": {"name": "J", "line1": "x", "city": "R", "country": "Latvia"}},
            "shipping_address.country",
        ),
        ({"customer": {"email": "not-an-address"}}, "customer.email"),
        ({"payment": {"method": "card"}}, "payment.token"),
        ({"payment": {"method": "bitcoin"}}, "payment.method"),
    ],
)
async def test_invalid_orders_get_422_naming_the_field(
    system: System, change: dict[str, Any], field: str
) -> None:
    response = await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body(**change))
    assert_problem(response, 422, field)


async def test_a_malformed_json_body_is_a_422_not_a_500(system: System) -> None:
    response = await system.api.post(
        "/v1/orders",
        headers={**STOREFRONT, "content-type": "application/json"},
        content=b'{"merchant": "demo",',
    )
    assert_problem(response, 422)


async def test_placing_an_order_needs_the_storefront_key(system: System) -> None:
    assert_problem(await system.api.post("/v1/orders", json=order_body()), 401)
    wrong = {"Authorization": "Bearer sf_guess"}
    assert_problem(await system.api.post("/v1/orders", headers=wrong, json=order_body()), 401)


async def test_an_order_is_visible_only_with_its_own_token(system: System) -> None:
    first = (await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body())).json()
    second = (await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body())).json()
    other_token = {"Authorization": f"Bearer {second['access_token']}"}
    assert_problem(
        await system.api.get(f"/v1/orders/{first['order_id']}", headers=other_token), 404
    )
    assert_problem(await system.api.get(f"/v1/orders/{first['order_id']}", headers=STOREFRONT), 404)
    assert_problem(await system.api.get("/v1/orders/unknown", headers=OPERATOR), 404)
    own = {"Authorization": f"Bearer {first['access_token']}"}
    assert (await system.api.get(f"/v1/orders/{first['order_id']}", headers=own)).status_code == 200


async def test_a_retried_placement_with_the_same_idempotency_key_places_one_order(
    system: System,
    pool: Any,
) -> None:
    headers = {**STOREFRONT, "Idempotency-Key": "checkout-7f3a"}
    first = await system.api.post("/v1/orders", headers=headers, json=order_body())
    again = await system.api.post("/v1/orders", headers=headers, json=order_body())
    assert first.status_code == again.status_code == 201
    assert first.json()["order_id"] == again.json()["order_id"]
    assert first.json()["access_token"] == again.json()["access_token"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (
        await pool.fetchval("SELECT count(*) FROM orders WHERE idempotency_key = 'checkout-7f3a'")
        == 1
    )
    different = await system.api.post(
        "/v1/orders",
        headers=headers,
        json=order_body(
            currency="EUR", lines=[{"sku": "B", "name": "B", "quantity": 1, "unit_price": "5.00"}]
        ),
    )
    assert_problem(different, 422, "Idempotency-Key")


async def test_operator_endpoints_need_the_operator_key(system: System) -> None:
    assert_problem(await system.api.get("/v1/ops/webhooks/unmatched"), 401)
    assert_problem(await system.api.get("/v1/ops/webhooks/unmatched", headers=STOREFRONT), 401)
    assert (await system.api.get("/v1/ops/webhooks/unmatched", headers=OPERATOR)).status_code == 200


async def test_health_readiness_metrics_and_openapi(system: System) -> None:
    assert (await system.api.get("/healthz")).json() == {"status": "ok"}
    ready = await system.api.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert ready.json().get("checks") is None  # why, only operators are told
    detailed = await system.api.get("/readyz", headers=OPERATOR)
    assert detailed.json()["checks"] == {"postgresql": "ok", "temporal": "ok"}
    assert (await system.api.get("/metrics")).status_code == 404  # not on the public port
    metrics = await api_metrics(system)
    assert "orderflow_orders_placed_total" in metrics
    paths = (await system.api.get("/openapi.json")).json()["paths"]
    assert {"/v1/orders", "/v1/orders/{order_id}", "/v1/webhooks/{kind}/{provider}"} <= set(paths)


async def test_operators_set_stock_levels(system: System, pool: Any) -> None:
    answer = await system.api.put(
        "/v1/ops/stock/demo/LAMP-1", headers=OPERATOR, json={"available": 7}
    )
    assert answer.status_code == 200
    assert (
        await pool.fetchval(
            "SELECT available FROM stock WHERE merchant = 'demo' AND sku = 'LAMP-1'"
        )
        == 7
    )
    assert_problem(
        await system.api.put("/v1/ops/stock/demo/LAMP-1", headers=OPERATOR, json={"available": -1}),
        422,
        "available",
    )
    assert_problem(
        await system.api.put("/v1/ops/stock/nobody/X", headers=OPERATOR, json={"available": 1}), 404
    )
    assert_problem(await system.api.put("/v1/ops/stock/demo/X", json={"available": 1}), 401)
