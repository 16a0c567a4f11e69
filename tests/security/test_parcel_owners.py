"""A parcel belongs to one owner: a return cannot claim the tracking number of an order's
outbound parcel (nor of another return), so a customer's return can never swallow another
parcel's scans and stop its delivery from being recorded (KWO-RMA-2)."""

from __future__ import annotations

from typing import Any

from tests.integration.harness import OPERATOR, STOREFRONT, System, order_body, wait_for
from tests.integration.test_api_contract import assert_problem
from tests.integration.test_returns_http import delivered_order


async def approved_return(system: System, order_id: str, mine: dict[str, str]) -> str:
    asked = await system.api.post(
        f"/v1/orders/{order_id}/returns",
        headers=mine,
        json={
            "reason": "defective",
            "lines": [{"sku": "LAMP-1", "quantity": 1}],
            "description": "The lamp flickers and goes out after a minute.",
        },
    )
    assert asked.status_code == 201, asked.text
    rma_id: str = asked.json()["rma_id"]

    async def requested() -> bool:
        view = (await system.api.get(f"/v1/returns/{rma_id}", headers=mine)).json()
        return bool(view["status"] == "requested")

    await wait_for(requested, within=15)
    approved = await system.api.post(
        f"/v1/ops/returns/{rma_id}/review", headers=OPERATOR, json={"approve": True}
    )
    assert approved.status_code == 200, approved.text
    return rma_id


async def test_a_return_given_another_orders_tracking_number_is_refused(
    system: System, pool: Any
) -> None:
    """API1: the number of a parcel in transit to someone else is a 422 on the field, and the
    return keeps no number."""
    order_id, mine = await delivered_order(system)
    rma_id = await approved_return(system, order_id, mine)
    other = await system.api.post(
        "/v1/orders", headers=STOREFRONT, json=order_body(merchant="returnshop")
    )
    other_id = other.json()["order_id"]
    other_token = {"Authorization": f"Bearer {other.json()['access_token']}"}

    async def shipped() -> str | None:
        view = (await system.api.get(f"/v1/orders/{other_id}", headers=other_token)).json()
        numbers = [s["tracking_number"] for s in view.get("shipments") or []]
        return numbers[0] if numbers else None

    victims = await wait_for(shipped, within=60)
    for taken in (
        victims,
        (await pool.fetchval("SELECT tracking_number FROM parcels WHERE order_id = $1", order_id)),
    ):
        refused = await system.api.post(
            f"/v1/returns/{rma_id}/shipment",
            headers=mine,
            json={"carrier": "dhl", "tracking_number": taken},
        )
        assert_problem(refused, 422, "tracking_number")
    kept = await pool.fetchval("SELECT tracking_number FROM returns WHERE rma_id = $1", rma_id)
    assert kept is None
