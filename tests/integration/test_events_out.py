"""Events out through the whole stack: a merchant's endpoint (a local HTTP server here) gets
an order's placed → paid → shipped → delivered in order, each signed with the Standard
Webhooks scheme under its secret; an endpoint down for a while gets everything in order once
it is back; past the retry budget the events are parked, an operator task is opened, and a
replay delivers them once; a rotated secret verifies with either secret."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from runtime.postgres import free_port
from tests.integration.harness import (
    OPERATOR,
    OPERATOR_KEY,
    STOREFRONT,
    System,
    order_body,
    serve,
    wait_for,
)
from tests.integration.test_cli import orderflow

TYPES = ["order.placed", "order.paid", "order.shipped", "order.delivered"]


@dataclass
class Receiver:
    """The merchant's system: keeps what it was sent, answers 503 while `down`."""

    url: str = ""
    down: bool = False
    got: list[dict[str, Any]] = field(default_factory=list)  # body and headers of each
    refused: int = 0

    def of(self, order_id: str) -> list[dict[str, Any]]:
        return [g for g in self.got if g["event"]["data"].get("order_id") == order_id]

    def types(self, order_id: str) -> list[str]:
        return [g["event"]["type"] for g in self.of(order_id)]


@asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    kept = Receiver()
    app = FastAPI()

    @app.post("/hooks")
    async def hook(request: Request) -> Response:
        if kept.down:
            kept.refused += 1
            return Response(status_code=503)
        body = await request.body()
        kept.got.append({"body": body, "headers": dict(request.headers), "event": json.loads(body)})
        return Response(status_code=204)

    port = free_port()
    kept.url = f"http://127.0.0.1:{port}/hooks"
    async with serve(app, port):
        yield kept


async def endpoint(system: System, url: str, types: list[str] = TYPES) -> dict[str, Any]:
    made = await system.api.post(
        "/v1/ops/event-endpoints", headers=OPERATOR, json={"url": url, "event_types": types}
    )
    assert made.status_code == 201, made.text
    assert made.headers["Location"] == f"/v1/ops/event-endpoints/{made.json()['endpoint_id']}"
    return dict(made.json())


async def paused(system: System, endpoint_id: str) -> None:
    """Left paused, so that the other tests' orders are not delivered to a server gone."""
    done = await system.api.patch(
        f"/v1/ops/event-endpoints/{endpoint_id}", headers=OPERATOR, json={"status": "paused"}
    )
    assert done.status_code == 200 and done.json()["status"] == "paused"


def verifies(secret: str, delivery: dict[str, Any]) -> bool:
    try:
        Webhook(secret).verify(delivery["body"], delivery["headers"])
    except WebhookVerificationError:
        return False
    return True


async def placed(system: System) -> str:
    answer = await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body())
    assert answer.status_code == 201, answer.text
    return str(answer.json()["order_id"])


async def test_an_order_is_told_in_order_and_signed(system: System) -> None:
    async with receiver() as merchant:
        made = await endpoint(system, merchant.url)
        try:
            order_id = await placed(system)

            async def told() -> bool:
                return "order.delivered" in merchant.types(order_id)

            await wait_for(told, within=90)
            assert merchant.types(order_id) == TYPES
            for delivery in merchant.of(order_id):
                assert verifies(made["secret"], delivery)
                assert delivery["headers"]["webhook-id"] == delivery["event"]["id"]
                assert "customer" not in delivery["event"]["data"]  # not allowed personal data
            assert not verifies("whsec_" + "A" * 43 + "=", merchant.of(order_id)[0])
            paid = merchant.of(order_id)[1]["event"]["data"]
            assert paid["status"] == "paid" and paid["clauses"]
        finally:
            await paused(system, made["endpoint_id"])


async def test_a_failing_endpoint_gets_everything_in_order_then_parks_and_replays(
    system_with: Any,
) -> None:
    async with (
        system_with(events_retry_for_seconds=3, events_max_backoff_seconds=0.3) as system,
        receiver() as merchant,
    ):
        made = await endpoint(system, merchant.url, ["order.placed", "order.paid"])
        eid = made["endpoint_id"]
        try:
            merchant.down = True
            first = await placed(system)
            await wait_for(lambda: _at_least(merchant, 2), within=30)  # tried, and refused
            merchant.down = False
            await wait_for(lambda: _types(merchant, first, 2), within=30)
            assert merchant.types(first) == ["order.placed", "order.paid"]

            merchant.down = True
            second = await placed(system)

            async def parked() -> list[dict[str, Any]] | None:
                page = await system.api.get(
                    f"/v1/ops/event-endpoints/{eid}/parked", headers=OPERATOR
                )
                items = [i for i in page.json()["items"] if i["stream"] == second]
                return items if len(items) == 2 else None

            dead = await wait_for(parked, within=30)
            assert [i["type"] for i in dead] == ["order.placed", "order.paid"]
            state = await system.api.get(f"/v1/ops/event-endpoints/{eid}", headers=OPERATOR)
            assert state.json()["status"] == "failing"
            listed = (await system.api.get("/v1/ops/tasks", headers=OPERATOR)).json()["items"]
            [task] = [t for t in listed if t["kind"] == "events_parked" and t["order_id"] == second]
            assert task["action"]["path"] == f"/v1/ops/event-endpoints/{eid}/replay"

            merchant.down = False
            rotated = await system.api.post(
                f"/v1/ops/event-endpoints/{eid}/rotate-secret", headers=OPERATOR
            )
            assert rotated.status_code == 200, rotated.text
            again = await orderflow(
                system, "--json", "events", "replay", eid, key=OPERATOR_KEY
            )  # the operator's command: everything parked
            assert again.exit_code == 0, again.output
            assert json.loads(again.output)["replayed"] >= 2
            await wait_for(lambda: _types(merchant, second, 2), within=30)
            assert merchant.types(second) == ["order.placed", "order.paid"]  # once each
            for delivery in merchant.of(second):  # signed under both secrets while they overlap
                assert verifies(made["secret"], delivery)
                assert verifies(rotated.json()["secret"], delivery)
            healed = await system.api.get(f"/v1/ops/event-endpoints/{eid}", headers=OPERATOR)
            assert healed.json()["status"] == "active"
        finally:
            await paused(system, eid)


async def _at_least(merchant: Receiver, refused: int) -> bool:
    return merchant.refused >= refused


async def _types(merchant: Receiver, order_id: str, count: int) -> bool:
    return len(merchant.types(order_id)) >= count
