"""A return over HTTP on the dev server, from request to refund: the order delivered by the
sandbox carrier, evidence stored, the RMA approved by an operator, the parcel back through
signed carrier webhooks, the inspection, the refund in the ledger and at the provider, and the
e-mails in the sink (KWO-RMA-1..8, LIF-1)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from sandbox.webhooks import signed_headers
from tests.integration.harness import OPERATOR, STOREFRONT, System, order_body, wait_for
from tests.integration.test_api_contract import assert_problem
from workflows.names import RETURN_STATUS, return_workflow_id

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def delivered_order(system: System) -> tuple[str, dict[str, str]]:
    placed = await system.api.post(
        "/v1/orders", headers=STOREFRONT, json=order_body(merchant="returnshop")
    )
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    mine = {"Authorization": f"Bearer {placed.json()['access_token']}"}

    async def delivered() -> bool:
        view = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
        return bool(view["status"] == "delivered")

    await wait_for(delivered, within=60)
    return order_id, mine


async def scan(
    system: System, tracking_number: str, status: str, event_id: str | None = None
) -> None:
    body = json.dumps(
        {
            "type": "tracking.updated",
            "data": {
                "tracking_number": tracking_number,
                "status": status,
                "occurred_at": datetime.now(UTC).isoformat(),
            },
        }
    ).encode()
    secret = system.settings.carrier_webhook_secret.get_secret_value()
    answer = await system.api.post(
        "/v1/webhooks/carriers/sandbox",
        content=body,
        headers=signed_headers(secret, event_id or f"evt_{uuid.uuid4().hex}", body),
    )
    assert answer.status_code == 200, answer.text


async def test_a_return_from_request_to_refund_over_http(system: System, pool: Any) -> None:
    order_id, mine = await delivered_order(system)
    photo = await system.api.post(
        f"/v1/orders/{order_id}/evidence",
        headers={**mine, "Content-Type": "image/png"},
        content=PNG,
    )
    assert photo.status_code == 201, photo.text
    evidence_id = photo.json()["evidence_id"]
    stored = system.settings.evidence_store_url.removeprefix("file:")
    assert (
        await pool.fetchval("SELECT size_bytes FROM evidence WHERE evidence_id = $1", evidence_id)
    ) == len(PNG)
    kept = await asyncio.to_thread(Path(f"{stored}/{order_id}/{evidence_id}").read_bytes)
    assert kept == PNG

    undescribed = await system.api.post(
        f"/v1/orders/{order_id}/returns",
        headers=mine,
        json={"reason": "defective", "lines": [{"sku": "LAMP-1", "quantity": 1}]},
    )
    assert assert_problem(undescribed, 422, "description")["clause"] == "KWO-RMA-1"
    asked = await system.api.post(
        f"/v1/orders/{order_id}/returns",
        headers={**mine, "Idempotency-Key": "ret-1"},
        json={
            "reason": "defective",
            "lines": [{"sku": "LAMP-1", "quantity": 1}],
            "description": "The lamp flickers and goes out after a minute.",
            "evidence": [{"evidence_id": evidence_id, "kind": "item"}],
        },
    )
    assert asked.status_code == 201, asked.text
    rma_id = asked.json()["rma_id"]
    assert asked.json()["status"] == "requested" and asked.json()["needs_approval"]
    again = await system.api.post(
        f"/v1/orders/{order_id}/returns",
        headers={**mine, "Idempotency-Key": "ret-1"},
        json={
            "reason": "defective",
            "lines": [{"sku": "LAMP-1", "quantity": 1}],
            "description": "The lamp flickers and goes out after a minute.",
            "evidence": [{"evidence_id": evidence_id, "kind": "item"}],
        },
    )
    assert again.status_code == 201 and again.json()["rma_id"] == rma_id
    too_many = await system.api.post(
        f"/v1/orders/{order_id}/returns",
        headers=mine,
        json={
            "reason": "defective",
            "lines": [{"sku": "LAMP-1", "quantity": 2}],
            "description": "x",
        },
    )
    assert "can still be returned" in assert_problem(too_many, 422, "lines")["detail"]

    async def status_is(wanted: str) -> dict[str, Any] | None:
        view = (await system.api.get(f"/v1/returns/{rma_id}", headers=mine)).json()
        return view if view["status"] == wanted else None

    await wait_for(lambda: status_is("requested"), within=15)
    tasks = (await system.api.get("/v1/ops/tasks", headers=OPERATOR)).json()["items"]
    assert any(t["task_key"] == f"{rma_id}:return_approval" for t in tasks)
    approved = await system.api.post(
        f"/v1/ops/returns/{rma_id}/review",
        headers=OPERATOR,
        json={"approve": True, "operator": "Inès Martin"},
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "awaiting_parcel"
    assert approved.json()["approved_by"] == "Inès Martin"
    assert "ship_back_by" in approved.json()["deadlines"]

    tracking = f"RT{uuid.uuid4().hex[:10].upper()}"
    sent = await system.api.post(
        f"/v1/returns/{rma_id}/shipment",
        headers=mine,
        json={"carrier": "dhl", "tracking_number": tracking},
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["parcel"]["tracking_number"] == tracking
    await scan(system, tracking, "in_transit")
    await scan(system, tracking, "delivered")
    received = await wait_for(lambda: status_is("received"), within=20)
    assert all(line["parcel"] == "received" for line in received["lines"])

    inspected = await system.api.post(
        f"/v1/ops/returns/{rma_id}/inspection",
        headers=OPERATOR,
        json={
            "operator": "Jānis Bērziņš",
            "lines": [{"sku": "LAMP-1", "acceptable": True, "defect_confirmed": True}],
        },
    )
    assert inspected.status_code == 200, inspected.text
    view = inspected.json()
    assert view["status"] == "refunded"
    assert view["refund"]["refunded"] == {"amount": "19.90", "currency": "EUR"}
    assert "KWO-RMA-7" in view["refund"]["clauses"]

    refunds = await pool.fetch(
        "SELECT idempotency_key, amount, provider_ref FROM ledger"
        " WHERE order_id = $1 AND movement = 'refund'",
        order_id,
    )
    assert [r["idempotency_key"] for r in refunds] == [f"{order_id}:refund:return:{rma_id}"]
    payment_id = await pool.fetchval(
        "SELECT provider_ref FROM ledger WHERE order_id = $1 AND movement = 'capture'", order_id
    )
    provider = await system.sandbox.get(f"/payments/v1/payments/{payment_id}")
    assert provider.json()["refunded"] in (1990, "19.90"), provider.json()

    order = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
    assert [r["rma_id"] for r in order["returns"]] == [rma_id]
    assert any(e["kind"] == "return_refund_granted" for e in order["timeline"])

    described = await system.client.get_workflow_handle(return_workflow_id(rma_id)).describe()
    assert described.typed_search_attributes.get(RETURN_STATUS) == "refunded"

    async def mails() -> set[str] | None:
        subjects = {
            " ".join(
                str(message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"]).split()
            )
            for p in system.mail.messages()
        }
        wanted = {
            f"Return {rma_id} of order {order_id}: {what}"
            for what in ("received", "approved", "goods received", "refund")
        }
        return subjects if wanted <= subjects else None

    await wait_for(mails, within=15)


async def test_evidence_of_the_wrong_type_or_size_is_refused(system: System) -> None:
    order_id, mine = await delivered_order(system)
    text = await system.api.post(
        f"/v1/orders/{order_id}/evidence",
        headers={**mine, "Content-Type": "text/plain"},
        content=b"hello",
    )
    assert_problem(text, 415, "Content-Type")
    disguised = await system.api.post(
        f"/v1/orders/{order_id}/evidence",
        headers={**mine, "Content-Type": "image/png"},
        content=b"%PDF-1.7 not a picture",
    )
    assert_problem(disguised, 415, "Content-Type")
    limit = system.settings.evidence_max_bytes
    large = await system.api.post(
        f"/v1/orders/{order_id}/evidence",
        headers={**mine, "Content-Type": "image/png"},
        content=PNG + b"\x00" * limit,
    )
    assert_problem(large, 413, "body")
