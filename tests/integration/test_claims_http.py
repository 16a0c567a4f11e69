"""A shipping-damage claim over HTTP on the dev server, from request to resolution: the
photos of item, packaging and label stored, the claim refused without the label's photo and
taken with it, on the operators' task list with its due time and action, decided by an
operator, refunded once by the order, and the customer's question answered (KWO-DEF-2,
KWO-DEF-1, PAR-SUP-1, LIF-3)."""

from __future__ import annotations

from typing import Any

from tests.integration.harness import OPERATOR, System, wait_for
from tests.integration.test_api_contract import assert_problem
from tests.integration.test_returns_http import PNG, delivered_order


async def test_a_damage_claim_with_evidence_from_request_to_resolution(
    system: System, pool: Any
) -> None:
    order_id, mine = await delivered_order(system)
    evidence = []
    for kind, extra in (("item", b"1"), ("packaging", b"2"), ("outer_label", b"3")):
        photo = await system.api.post(
            f"/v1/orders/{order_id}/evidence",
            headers={**mine, "Content-Type": "image/png"},
            content=PNG + extra,
        )
        assert photo.status_code == 201, photo.text
        evidence.append({"evidence_id": photo.json()["evidence_id"], "kind": kind})
    body = {"kind": "shipping_damage", "description": "The box was crushed.", "sku": "LAMP-1"}

    bare = await system.api.post(
        f"/v1/orders/{order_id}/claims", headers=mine, json={**body, "evidence": evidence[:2]}
    )
    assert assert_problem(bare, 422, "evidence")["clause"] == "KWO-DEF-2"
    filed = await system.api.post(
        f"/v1/orders/{order_id}/claims",
        headers={**mine, "Idempotency-Key": "claim-1"},
        json={**body, "evidence": evidence},
    )
    assert filed.status_code == 201, filed.text
    claim_id = filed.json()["claim_id"]
    assert filed.json()["clauses"] == ["KWO-DEF-2", "KWO-RMA-3"]
    assert filed.json()["answer_by"] is not None

    async def on_the_list() -> dict[str, Any] | None:
        listed = (await system.api.get("/v1/ops/tasks", headers=OPERATOR)).json()["items"]
        return next((t for t in listed if t["ref"] == claim_id and t["kind"] == "claim"), None)

    task = await wait_for(on_the_list, within=30)
    assert task["order_id"] == order_id and task["due_at"] is not None
    assert task["action"] == {
        "method": "POST",
        "path": f"/v1/ops/claims/{claim_id}/decision",
        "update": "decide_claim",
    }
    assert task["clauses"] == ["PAR-SUP-1"] and task["overdue"] is False
    seen = await system.api.get(f"/v1/claims/{claim_id}", headers=mine)
    assert seen.status_code == 200 and seen.json()["status"] == "open"
    assert "crushed" not in seen.text  # the customer's words stay out of the read model
    ops_view = await system.api.get(f"/v1/ops/claims/{claim_id}", headers=OPERATOR)
    assert ops_view.json()["description"] == "The box was crushed."

    decided = await system.api.post(
        task["action"]["path"],
        headers=OPERATOR,
        json={"operator": "Léa (support)", "outcome": "refund", "amount": "5.00"},
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "resolved"
    view = (await system.api.get(f"/v1/claims/{claim_id}", headers=mine)).json()
    assert view["refunded"] == {"amount": "5.00", "currency": view["refunded"]["currency"]}
    assert [e["kind"] for e in view["timeline"]][-1] == "claim_refunded"
    refunds = await pool.fetch(
        "SELECT amount FROM ledger WHERE idempotency_key = $1",
        f"{order_id}:refund:claim:{claim_id}",
    )
    assert len(refunds) == 1 and str(refunds[0]["amount"]).startswith("5.00")
    again = await system.api.post(
        task["action"]["path"],
        headers=OPERATOR,
        json={"operator": "Léa (support)", "outcome": "refund", "amount": "5.00"},
    )
    assert assert_problem(again, 409)["detail"].startswith("the claim is resolved")

    asked = await system.api.post(
        f"/v1/orders/{order_id}/messages", headers=mine, json={"text": "When is my refund paid?"}
    )
    assert asked.status_code == 201, asked.text
    question = asked.json()["claim_id"]

    async def message_task() -> dict[str, Any] | None:
        listed = (await system.api.get("/v1/ops/tasks", headers=OPERATOR)).json()["items"]
        return next((t for t in listed if t["ref"] == question), None)

    assert (await wait_for(message_task, within=30))["kind"] == "customer_message"
    answered = await system.api.post(
        f"/v1/ops/claims/{question}/answer",
        headers=OPERATOR,
        json={"operator": "Anna", "text": "Within 5 business days, to your card."},
    )
    assert answered.status_code == 200, answered.text

    async def mailed() -> str | None:
        body = await pool.fetchval(
            "SELECT subject FROM emails WHERE idempotency_key LIKE $1",
            f"%{question}:question_answered",
        )
        return str(body) if body else None

    assert "answer" in await wait_for(mailed, within=30)
    final = (await system.api.get(f"/v1/claims/{question}", headers=mine)).json()
    assert final["status"] == "answered" and final["answer"].startswith("Within 5")
