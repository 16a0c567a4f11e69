"""Operators find orders outside Temporal (by status, shop order number, customer, parcel,
time) page by page, and act under their own names; input is checked against the standards."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from store import operators, tasks
from tests.integration.harness import OPERATOR, STOREFRONT, System, order_body, wait_for
from tests.integration.test_api_contract import assert_problem
from workflows.names import ORDER_REFERENCE


async def place(system: System, **changes: Any) -> dict[str, Any]:
    placed = await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body(**changes))
    assert placed.status_code == 201, placed.text
    return dict(placed.json())


async def search(system: System, **params: Any) -> dict[str, Any]:
    found = await system.api.get("/v1/ops/orders", headers=OPERATOR, params=params)
    assert found.status_code == 200, found.text
    return dict(found.json())


async def test_the_shops_order_number_is_unique_per_merchant_and_found_everywhere(
    system: System,
) -> None:
    reference = f"SHOP-{uuid.uuid4().hex[:8]}"
    first = await place(system, external_reference=reference)
    again = await system.api.post(
        "/v1/orders", headers=STOREFRONT, json=order_body(external_reference=reference)
    )
    taken = assert_problem(again, 409, "external_reference")
    assert first["order_id"] in taken["detail"]
    # another merchant may use the same number
    other = await place(system, merchant="holdshop", external_reference=reference)

    found = await search(system, external_reference=reference, merchant="demo")
    assert [o["order_id"] for o in found["items"]] == [first["order_id"]]
    assert found["items"][0]["external_reference"] == reference
    both = await search(system, external_reference=reference)
    assert {o["order_id"] for o in both["items"]} == {first["order_id"], other["order_id"]}

    async def in_temporal() -> list[str]:
        query = f'{ORDER_REFERENCE.name} = "{reference}"'
        return [w.id async for w in system.client.list_workflows(query)]

    assert sorted(await wait_for(in_temporal, within=30)) == sorted(
        [f"order-{first['order_id']}", f"order-{other['order_id']}"]
    )


async def test_search_by_customer_pages_with_a_cursor_and_never_repeats(system: System) -> None:
    email = f"pager-{uuid.uuid4().hex[:8]}@example.com"
    placed = [(await place(system, customer={"email": email}))["order_id"] for _ in range(5)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"customer": email, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = await search(system, **params)
        pages += 1
        seen += [o["order_id"] for o in page["items"]]
        assert all("email" not in str(o) for o in page["items"])  # no personal data in rows
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == sorted(placed, reverse=True)  # newest first, each once
    assert_problem(
        await system.api.get("/v1/ops/orders", headers=OPERATOR, params={"cursor": "not-a-cursor"}),
        400,
        "cursor",
    )


async def test_search_by_status_time_parcel_and_carrier(system: System) -> None:
    email = f"parcel-{uuid.uuid4().hex[:8]}@example.com"
    before = datetime.now(UTC) - timedelta(seconds=1)
    order = await place(system, customer={"email": email})
    mine = {"Authorization": f"Bearer {order['access_token']}"}

    async def shipped() -> dict[str, Any] | None:
        view = (await system.api.get(f"/v1/orders/{order['order_id']}", headers=mine)).json()
        return view["shipments"][0] if view["shipments"] else None

    parcel = await wait_for(shipped, within=60)
    by_number = await search(system, tracking_number=parcel["tracking_number"])
    assert [o["order_id"] for o in by_number["items"]] == [order["order_id"]]
    assert by_number["items"][0]["parcels"][0]["carrier"] == parcel["carrier"]
    by_carrier = await search(system, customer=email, carrier=parcel["carrier"])
    assert [o["order_id"] for o in by_carrier["items"]] == [order["order_id"]]
    other = "post" if parcel["carrier"] != "post" else "dhl"
    assert (await search(system, customer=email, carrier=other))["items"] == []

    window = {"placed_from": before.isoformat(), "customer": email}
    assert len((await search(system, **window))["items"]) == 1
    later = {"placed_from": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
    assert (await search(system, customer=email, **later))["items"] == []
    # the order moves on meanwhile (labelled, collected, delivered): any of these finds it
    moving = ["fulfilling", "shipped", "in_transit", "delivered", "completed", "cancelled"]
    assert (await search(system, customer=email))["items"][0]["status"] in moving
    assert len((await search(system, customer=email, status=moving))["items"]) == 1
    assert (await search(system, customer=email, status="cancelled"))["items"] == []
    assert_problem(
        await system.api.get("/v1/ops/orders", headers=OPERATOR, params={"status": "lost_x"}),
        422,
    )
    naive = {"placed_from": "2026-01-01T00:00:00"}
    assert_problem(
        await system.api.get("/v1/ops/orders", headers=OPERATOR, params=naive), 422, "placed_from"
    )
    assert_problem(await system.api.get("/v1/ops/orders", headers=STOREFRONT), 401)


async def test_an_operator_acts_under_their_own_credential_until_it_is_revoked(
    system: System, pool: asyncpg.Pool
) -> None:
    """KWO-REF-1 names who refunded: with a named credential the name is the credential's,
    whatever the body says; a revoked credential opens nothing."""
    name = f"amira-{uuid.uuid4().hex[:6]}"
    credential = await operators.create(pool, name, created_by="test")
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM operators WHERE key_hash = $1", credential.encode()
        )
        == 0
    )  # never kept in clear
    own = {"Authorization": f"Bearer {credential}"}
    order = await place(system, merchant="holdshop")
    mine = {"Authorization": f"Bearer {order['access_token']}"}

    async def paid() -> bool:
        view = (await system.api.get(f"/v1/orders/{order['order_id']}", headers=mine)).json()
        return bool(view["status"] == "paid")

    await wait_for(paid, within=30)
    refunded = await system.api.post(
        f"/v1/ops/orders/{order['order_id']}/refunds",
        headers=own,
        json={"amount": "1.00", "reason": "goodwill", "operator": "someone else"},
    )
    assert refunded.status_code == 201, refunded.text
    assert refunded.json()["operator"] == name
    view = (await system.api.get(f"/v1/orders/{order['order_id']}", headers=own)).json()
    entry = next(e for e in view["timeline"] if e["kind"] == "operator_refund")
    assert entry["details"]["operator"] == name and "someone else" not in entry["summary"]

    assert await operators.revoke(pool, name)
    assert_problem(await system.api.get("/v1/ops/orders", headers=own), 401)
    assert_problem(await system.api.get(f"/v1/orders/{order['order_id']}", headers=own), 404)
    forged = {"Authorization": f"Bearer {credential[:-4]}AAAA"}
    assert_problem(await system.api.get("/v1/ops/tasks", headers=forged), 401)


async def test_unmatched_webhooks_are_paged(system: System, pool: asyncpg.Pool) -> None:
    marker = uuid.uuid4().hex[:8]
    for n in range(3):
        await pool.execute(
            "INSERT INTO webhook_inbox (kind, provider, event_id, event_type, payload,"
            " relay_state, received_at) VALUES ('carriers', 'sandbox', $1, 'tracker.updated',"
            " '{}', 'unmatched', now() + make_interval(days => 1000 + $2))",
            f"evt_{marker}_{n}",
            n,
        )
    first = (
        await system.api.get("/v1/ops/webhooks/unmatched", headers=OPERATOR, params={"limit": 2})
    ).json()
    assert [w["event_id"] for w in first["items"]] == [f"evt_{marker}_2", f"evt_{marker}_1"]
    second = (
        await system.api.get(
            "/v1/ops/webhooks/unmatched",
            headers=OPERATOR,
            params={"limit": 2, "cursor": first["next_cursor"]},
        )
    ).json()
    assert second["items"][0]["event_id"] == f"evt_{marker}_0"
    await pool.execute("DELETE FROM webhook_inbox WHERE event_id LIKE $1", f"evt_{marker}_%")


async def test_countries_currencies_addresses_and_locales_are_checked_by_standard(
    system: System,
) -> None:
    address = {**order_body()["shipping_address"], "country": "XX"}
    for change, field in (
        ({"shipping_address": address}, "shipping_address.country"),
        ({"currency": "ZZZ"}, "currency"),
        ({"customer": {"email": "jane@localhost"}}, "customer.email"),
        ({"customer": {"email": "jane@example.com", "locale": "xx-Nowhere"}}, "customer.locale"),
        ({"external_reference": "has spaces"}, "external_reference"),
    ):
        response = await system.api.post(
            "/v1/orders", headers=STOREFRONT, json=order_body(**change)
        )
        assert_problem(response, 422, field)
    chosen = await place(system, customer={"email": "jane@example.com", "locale": "fr-BE"})
    default = await place(system)
    views = [
        (
            await system.api.get(
                f"/v1/orders/{o['order_id']}",
                headers={"Authorization": f"Bearer {o['access_token']}"},
            )
        ).json()
        for o in (chosen, default)
    ]
    assert [v["locale"] for v in views] == ["fr_BE", "en"]  # the demo shop writes English


async def test_tasks_that_met_the_policys_recommendations_come_first_and_page_on(
    system: System, pool: asyncpg.Pool
) -> None:
    """KWO-DEF-2, KWO-RMA-5: a case that brought what the policy recommends is first on the
    operators' list, before earlier due times; the cursor pages on past it."""
    marker = uuid.uuid4().hex[:8]
    order = await place(system, merchant="holdshop")
    for n, priority in enumerate((1, 1, 0)):
        await tasks.open_task(
            pool,
            task_key=f"task-{marker}-{n}",
            order_id=order["order_id"],
            kind="claim",
            summary="decide the claim",
            due_at=None,
            clauses=("KWO-DEF-2",),
            priority=priority,
        )
    first = (await system.api.get("/v1/ops/tasks?limit=2", headers=OPERATOR)).json()
    assert [t["task_key"] for t in first["items"]] == [f"task-{marker}-0", f"task-{marker}-1"]
    assert all(t["priority"] == 1 for t in first["items"])
    after = (
        await system.api.get(
            f"/v1/ops/tasks?limit=100&cursor={first['next_cursor']}", headers=OPERATOR
        )
    ).json()
    keys = [t["task_key"] for t in after["items"]]
    assert f"task-{marker}-2" in keys and f"task-{marker}-0" not in keys
    for n in range(3):
        await tasks.close(pool, f"task-{marker}-{n}")
