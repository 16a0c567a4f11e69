"""The operators' command line, over the running API: a credential made by the CLI finds,
shows and refunds an order under its operator's name, and stops working once revoked."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.integration.harness import STOREFRONT, System, order_body, wait_for


async def orderflow(system: System, *args: str, key: str | None = None) -> Any:
    """One `orderflow` command, run beside the API's event loop as a terminal would."""
    base = ["--url", system.settings.public_base_url]
    runner = CliRunner()
    env = {"ORDERFLOW_DATABASE_URL": system.settings.database_url}
    if key:
        env["ORDERFLOW_OPERATOR_KEY"] = key
    return await asyncio.to_thread(runner.invoke, app, [*base, *args], env=env)


async def test_an_operator_works_an_order_from_the_terminal(system: System) -> None:
    name = f"cli-{uuid.uuid4().hex[:6]}"
    made = await orderflow(system, "operators", "create", name)
    assert made.exit_code == 0, made.output
    key = made.output.strip().splitlines()[-1]
    assert key.startswith("oper_")

    reference = f"CLI-{uuid.uuid4().hex[:6]}"
    body = order_body(merchant="holdshop", external_reference=reference)
    placed = (await system.api.post("/v1/orders", headers=STOREFRONT, json=body)).json()
    order_id = placed["order_id"]
    mine = {"Authorization": f"Bearer {placed['access_token']}"}

    async def paid() -> bool:
        view = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
        return bool(view["status"] == "paid")

    await wait_for(paid, within=30)
    found = await orderflow(system, "--json", "search", reference, key=key)
    assert found.exit_code == 0, found.output
    assert [o["order_id"] for o in json.loads(found.output)["items"]] == [order_id]

    shown = await orderflow(system, "orders", "show", order_id, key=key)
    assert shown.exit_code == 0 and order_id in shown.output and "paid" in shown.output

    refunded = await orderflow(
        system, "--json", "refund", order_id, "2.50", "--reason", "goodwill", key=key
    )
    assert refunded.exit_code == 0, refunded.output
    answer = json.loads(refunded.output)
    assert answer["operator"] == name and answer["amount"]["amount"] == "2.50"

    too_much = await orderflow(system, "refund", order_id, "999", "--reason", "x", key=key)
    assert too_much.exit_code == 1 and "409" in too_much.output

    assert (await orderflow(system, "operators", "revoke", name)).exit_code == 0
    refused = await orderflow(system, "tasks", key=key)
    assert refused.exit_code == 1 and "401" in refused.output


@pytest.mark.parametrize("args", [["orders", "list"], ["tasks"], ["webhooks", "unmatched"]])
async def test_lists_answer_for_scripts(system: System, args: list[str]) -> None:
    from tests.integration.harness import OPERATOR_KEY

    listed = await orderflow(system, "--json", *args, key=OPERATOR_KEY)
    assert listed.exit_code == 0, listed.output
    assert set(json.loads(listed.output)) == {"items", "next_cursor"}


async def test_migrate_brings_a_new_database_up_to_date_once(postgres: Any) -> None:
    """`orderflow migrate` (the deployment's migrations job) applies every migration to an
    empty database, then finds nothing left to apply; the schema is the one the processes use."""
    import asyncpg

    url = postgres.create_database(f"orderflow_migrate_{uuid.uuid4().hex[:8]}")
    runner = CliRunner()
    env = {"ORDERFLOW_DATABASE_URL": url}
    first = await asyncio.to_thread(runner.invoke, app, ["migrate"], env=env)
    assert first.exit_code == 0, first.output
    assert "migrations applied: 001_initial" in first.output
    again = await asyncio.to_thread(runner.invoke, app, ["migrate"], env=env)
    assert again.exit_code == 0 and "the schema is up to date" in again.output
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM orders") == 0
        applied = await conn.fetchval("SELECT count(*) FROM schema_migrations")
        assert applied == len(first.output.split(":", 1)[1].split(","))
    finally:
        await conn.close()


async def test_an_operator_edits_and_cancels_lines_from_the_terminal(system: System) -> None:
    """IMA-EDT-1, KWO-CAN-1: a lower quantity previewed, then taken and refunded; a line
    cancelled by the band."""
    made = await orderflow(system, "operators", "create", f"cli-{uuid.uuid4().hex[:6]}")
    key = made.output.strip().splitlines()[-1]
    lines = [
        {"sku": "LAMP-1", "name": "Flashlight", "quantity": 2, "unit_price": "19.90"},
        {"sku": "CASE-1", "name": "Case", "quantity": 1, "unit_price": "5.00"},
    ]
    body = order_body(merchant="holdshop", lines=lines)
    placed = (await system.api.post("/v1/orders", headers=STOREFRONT, json=body)).json()
    order_id = placed["order_id"]
    mine = {"Authorization": f"Bearer {placed['access_token']}"}

    async def paid() -> bool:
        view = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
        return bool(view["status"] == "paid")

    await wait_for(paid, within=30)
    previewed = await orderflow(
        system, "orders", "edit", order_id, "--set", "LAMP-1=1", "--preview", key=key
    )
    assert previewed.exit_code == 0, previewed.output
    assert "preview" in previewed.output and "-19.90" in previewed.output
    edited = await orderflow(
        system, "--json", "orders", "edit", order_id, "--set", "LAMP-1=1", "--key", "cli-1", key=key
    )
    assert edited.exit_code == 0, edited.output
    answer = json.loads(edited.output)
    assert answer["status"] == "applied" and answer["settlement"] == "refunded"
    cancelled = await orderflow(system, "orders", "cancel-lines", order_id, "CASE-1", key=key)
    assert cancelled.exit_code == 0, cancelled.output
    assert "5.00 EUR refunded" in cancelled.output
    refused = await orderflow(system, "orders", "edit", order_id, "--set", "NOPE=2", key=key)
    assert refused.exit_code != 0 and "changes[0].sku" in refused.output
