"""One card order through the whole system over real HTTP: API → workflow on the dev server →
sandbox gateway → SMTP → sandbox carrier → signed tracking webhooks → inbox → relay →
delivered → completed when the return window closes (LIF-1, LIF-2, LIF-3)."""

from __future__ import annotations

from email import message_from_bytes, policy
from typing import Any

from tests.integration.harness import OPERATOR, STOREFRONT, System, order_body, wait_for
from workflows.names import CARRIER, MERCHANT, ORDER_STATUS, order_workflow_id


async def test_a_card_order_travels_from_payment_to_completed(system: System, pool: Any) -> None:
    """LIF-1, LIF-2: the whole stack, the order's steps reaching the outside world only
    through the payment, carrier and e-mail adapters' activities."""
    card = await system.sandbox.post(
        "/payments/v1/payment_methods",
        json={
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
        },
    )
    assert card.status_code == 201
    placed = await system.api.post(
        "/v1/orders",
        headers=STOREFRONT,
        json=order_body(payment={"method": "card", "token": card.json()["id"]}),
    )
    assert placed.status_code == 201, placed.text
    order_id, token = placed.json()["order_id"], placed.json()["access_token"]
    assert placed.json()["status"] == "paid"  # no 3-D Secure in demo: known at once
    assert placed.json()["total"] == {"amount": "39.80", "currency": "EUR"}
    mine = {"Authorization": f"Bearer {token}"}

    seen: list[str] = []

    async def completed() -> dict[str, Any] | None:
        view = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
        if not seen or seen[-1] != view["status"]:
            seen.append(view["status"])
        return view if view["status"] == "completed" else None

    view = await wait_for(completed, within=90)
    assert "delivered" in seen or "delivered" in [e["status"] for e in view["timeline"]]
    statuses = [e["status"] for e in view["timeline"] if e["status"]]
    assert statuses == [
        "pending_payment",
        "paid",
        "fulfilling",
        "shipped",
        "in_transit",
        "delivered",
        "completed",
    ]
    assert [(m["movement"], m["status"]) for m in view["payments"]] == [
        ("authorization", "authorized"),
        ("capture", "captured"),
    ]
    assert view["payments"][1]["amount"] == {"amount": "39.80", "currency": "EUR"}
    shipment = view["shipments"][0]
    assert shipment["status"] == "delivered" and shipment["carrier"] == "dhl"
    assert view["deadlines"]["return_window_closes_at"]
    window = next(e for e in view["timeline"] if e["kind"] == "return_window_opened")
    assert window["clauses"] == ["KWO-RET-1", "KWO-RET-2"]

    # Two e-mails went over SMTP to the customer, the second with the tracking number.
    messages = [
        message_from_bytes(p.read_bytes(), policy=policy.default) for p in system.mail.messages()
    ]
    mine_mail = [m for m in messages if m["X-Orderflow-Order"] == order_id]
    assert [m["Subject"] for m in mine_mail] == [
        f"Order {order_id} confirmed",
        f"Order {order_id} is on its way",
    ]
    assert all(m["To"] == "jane.doe@example.com" for m in mine_mail)
    text = mine_mail[1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = mine_mail[1].get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert shipment["tracking_number"] in text and shipment["tracking_number"] in html
    assert mine_mail[1]["Date"] and mine_mail[1]["Content-Language"] == "en"
    assert mine_mail[1]["From"].addresses[0].display_name == "orderflow demo shop"
    assert f"/orders/{order_id}?token=" in text  # the e-mail links to the order page

    # The money moved once; every tracking webhook reached the workflow through the inbox.
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM ledger WHERE order_id = $1 AND movement = 'capture'", order_id
        )
        == 1
    )
    relayed = await pool.fetch(
        "SELECT payload->'data'->>'status' AS scan, relay_state FROM webhook_inbox"
        " WHERE order_id = $1 AND kind = 'carriers'",
        order_id,
    )
    # every scan is kept and relayed; the first is the carrier collecting the parcel, which is
    # when the order counts as shipped
    assert {r["scan"]: r["relay_state"] for r in relayed} == {
        "picked_up": "relayed",
        "in_transit": "relayed",
        "out_for_delivery": "relayed",
        "delivered": "relayed",
    }

    # Operators see the order in the Temporal UI by its search attributes, with no PII.
    description = await system.client.get_workflow_handle(order_workflow_id(order_id)).describe()
    attributes = description.typed_search_attributes
    assert attributes.get(ORDER_STATUS) == "completed"
    assert attributes.get(MERCHANT) == "demo"
    assert attributes.get(CARRIER) == "dhl"
    summary = await description.static_summary()
    assert summary is not None and order_id in summary and "jane" not in summary.lower()

    # The operator key reads any order; nobody else reads it without its token.
    assert (await system.api.get(f"/v1/orders/{order_id}", headers=OPERATOR)).status_code == 200
    assert (await system.api.get(f"/v1/orders/{order_id}")).status_code == 404
