"""Read your writes, through the whole stack: every 201 names a resource (its `Location`) that
a GET with the same credentials answers at once, with no pause between the two requests: an
order, its evidence, a return, a claim, a question, a subscription, a subscription's claim and
question. The answer already carries what the 201 said (status, clauses), and the workflow's
own entries later replace it without a step back."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.harness import STOREFRONT, System, order_body, wait_for
from tests.integration.test_returns_http import PNG, delivered_order
from tests.integration.test_subscriptions_http import saved_card, subscription


async def read_back(system: System, created: httpx.Response, mine: dict[str, str]) -> Any:
    """The resource a 201 named, read at once with the same credentials."""
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    assert location == created.json()["links"]["self"]
    seen = await system.api.get(location, headers=mine)
    assert seen.status_code == 200, f"{location}: {seen.status_code} {seen.text}"
    return seen.json()


async def test_an_order_and_its_evidence_are_there_at_once(system: System) -> None:
    placed = await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body())
    mine = {"Authorization": f"Bearer {placed.json()['access_token']}"}
    order = await read_back(system, placed, mine)
    assert order["order_id"] == placed.json()["order_id"]
    order_id = order["order_id"]
    photo = await system.api.post(
        f"/v1/orders/{order_id}/evidence",
        headers={**mine, "Content-Type": "image/png"},
        content=PNG + b"ryw",
    )
    kept = await read_back(system, photo, mine)
    assert kept["evidence_id"] == photo.json()["evidence_id"]
    assert kept["size_bytes"] == len(PNG) + 3 and kept["content_type"] == "image/png"
    other = await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body())
    theirs = {"Authorization": f"Bearer {other.json()['access_token']}"}
    hidden = await system.api.get(photo.headers["Location"], headers=theirs)
    assert hidden.status_code == 404  # another order's token sees nothing of it


async def test_a_return_a_claim_and_a_question_are_there_at_once(system: System) -> None:
    """KWO-RMA-1 (a return asked), KWO-DEF-2 (a claim with its photos), PAR-SUP-1 (a question)."""
    order_id, mine = await delivered_order(system)
    asked = await system.api.post(
        f"/v1/orders/{order_id}/returns",
        headers=mine,
        json={
            "reason": "change_of_mind",
            "lines": [{"sku": "LAMP-1", "quantity": 1}],
            "description": "Bought two by mistake.",
        },
    )
    rma = await read_back(system, asked, mine)
    assert rma["rma_id"] == asked.json()["rma_id"]
    assert rma["status"] == asked.json()["status"]
    [line] = rma["lines"]
    assert (line["sku"], line["quantity"], line["unit_price"]) == ("LAMP-1", 1, "19.90")
    photos = []
    for kind in ("item", "packaging", "outer_label"):
        photo = await system.api.post(
            f"/v1/orders/{order_id}/evidence",
            headers={**mine, "Content-Type": "image/png"},
            content=PNG + kind.encode(),
        )
        photos.append({"evidence_id": (await read_back(system, photo, mine))["evidence_id"]})
        photos[-1]["kind"] = kind
    filed = await system.api.post(
        f"/v1/orders/{order_id}/claims",
        headers=mine,
        json={
            "kind": "shipping_damage",
            "description": "The box was crushed.",
            "sku": "LAMP-1",
            "evidence": photos,
        },
    )
    claim = await read_back(system, filed, mine)
    assert claim["claim_id"] == filed.json()["claim_id"] and claim["status"] == "open"
    assert claim["sku"] == "LAMP-1" and claim["answer_by"] is not None
    question = await system.api.post(
        f"/v1/orders/{order_id}/messages", headers=mine, json={"text": "Does it take AA?"}
    )
    seen = await read_back(system, question, mine)
    assert seen["kind"] == "question" and seen["status"] == "open"

    async def recorded() -> bool:  # the workflow's own entry takes over, one step forward
        view = (await system.api.get(f"/v1/returns/{rma['rma_id']}", headers=mine)).json()
        return bool(view["timeline"]) and view["status"] in ("requested", "approved")

    await wait_for(recorded, within=30)


async def test_a_subscription_its_claim_and_question_are_there_at_once(system: System) -> None:
    token = await saved_card(system, "4242424242424242")
    started = await system.api.post(
        "/v1/subscriptions", headers=STOREFRONT, json=subscription(token)
    )
    mine = {"Authorization": f"Bearer {started.json()['access_token']}"}
    sub = await read_back(system, started, mine)
    sid = sub["subscription_id"]
    assert sid == started.json()["subscription_id"]
    filed = await system.api.post(
        f"/v1/subscriptions/{sid}/claims",
        headers=mine,
        json={"kind": "non_delivery", "description": "Never set up."},
    )
    claim = await read_back(system, filed, mine)
    assert claim["subscription_id"] == sid and claim["status"] == "open"
    asked = await system.api.post(
        f"/v1/subscriptions/{sid}/messages", headers=mine, json={"text": "Backups?"}
    )
    assert (await read_back(system, asked, mine))["kind"] == "question"
