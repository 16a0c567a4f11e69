"""Webhook ingress: verified on the raw body, stored once, never lost, never a 500."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sandbox.webhooks import signed_headers
from tests.integration.harness import OPERATOR, System, wait_for
from tests.integration.test_api_contract import assert_problem


def carrier_event(reference: str, status: str = "in_transit") -> bytes:
    return json.dumps(
        {
            "type": "tracking.updated",
            "data": {
                "tracking_number": "SB0000000001DH",
                "reference": reference,
                "status": status,
                "occurred_at": "2026-03-03T08:00:00+00:00",
            },
        }
    ).encode()


def signed(system: System, body: bytes, event_id: str | None = None) -> dict[str, str]:
    secret = system.settings.carrier_webhook_secret.get_secret_value()
    return signed_headers(secret, event_id or f"evt_{uuid.uuid4().hex}", body)


async def inbox_rows(pool: Any, event_id: str) -> int:
    return int(
        await pool.fetchval("SELECT count(*) FROM webhook_inbox WHERE event_id = $1", event_id)
    )


async def test_an_unsigned_webhook_is_refused_and_stored_nowhere(system: System, pool: Any) -> None:
    body = carrier_event("o-1")
    response = await system.api.post(
        "/v1/webhooks/carriers/sandbox", content=body, headers={"webhook-id": "evt_unsigned"}
    )
    assert_problem(response, 401)
    assert await inbox_rows(pool, "evt_unsigned") == 0


async def test_a_tampered_webhook_is_refused_and_stored_nowhere(system: System, pool: Any) -> None:
    body = carrier_event("o-1")
    headers = signed(system, body, "evt_tampered")
    response = await system.api.post(
        "/v1/webhooks/carriers/sandbox",
        headers=headers,
        content=body.replace(b"in_transit", b"delivered"),
    )
    assert_problem(response, 401)
    assert await inbox_rows(pool, "evt_tampered") == 0


async def test_an_unknown_provider_is_404(system: System) -> None:
    body = carrier_event("o-1")
    response = await system.api.post(
        "/v1/webhooks/carriers/ups", content=body, headers=signed(system, body)
    )
    assert_problem(response, 404)
    assert_problem(
        await system.api.post(
            "/v1/webhooks/refunds/sandbox", content=body, headers=signed(system, body)
        ),
        404,
    )


async def test_an_oversized_webhook_is_413(system: System) -> None:
    body = b'{"type": "x", "pad": "' + b"a" * (system.settings.webhook_max_body_bytes + 1) + b'"}'
    response = await system.api.post(
        "/v1/webhooks/carriers/sandbox", content=body, headers=signed(system, body)
    )
    assert_problem(response, 413)


async def test_a_signed_body_that_is_not_an_event_is_400(system: System) -> None:
    body = b"[1, 2, 3]"
    assert_problem(
        await system.api.post(
            "/v1/webhooks/carriers/sandbox", content=body, headers=signed(system, body)
        ),
        400,
        "type",
    )


async def test_the_same_webhook_three_times_is_stored_once(system: System, pool: Any) -> None:
    """LIF-3: a provider's webhook drives the workflow, and the same one sent three times is
    one event."""
    body = carrier_event("o-dup")
    headers = signed(system, body, "evt_dup_1")
    answers = [
        await system.api.post("/v1/webhooks/carriers/sandbox", content=body, headers=headers)
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["duplicate"] for a in answers] == [False, True, True]
    assert await inbox_rows(pool, "evt_dup_1") == 1


async def test_a_webhook_for_an_unknown_order_is_kept_and_reported(
    system: System, pool: Any
) -> None:
    body = carrier_event("no-such-order")
    event_id = f"evt_{uuid.uuid4().hex}"
    response = await system.api.post(
        "/v1/webhooks/carriers/sandbox", content=body, headers=signed(system, body, event_id)
    )
    assert response.status_code == 200

    async def reported() -> list[dict[str, Any]]:
        listed = (await system.api.get("/v1/ops/webhooks/unmatched", headers=OPERATOR)).json()
        return [item for item in listed["items"] if item["event_id"] == event_id]

    item = (await wait_for(reported, within=15))[0]
    assert item["order_id"] == "no-such-order" and "no order" in item["last_error"]
    assert await pool.fetchval(
        "SELECT payload FROM webhook_inbox WHERE event_id = $1", event_id
    ) == json.loads(body)


async def test_an_operator_can_send_an_unmatched_webhook_through_the_relay_again(
    system: System, pool: Any
) -> None:
    body = carrier_event("still-no-such-order")
    event_id = f"evt_{uuid.uuid4().hex}"
    await system.api.post(
        "/v1/webhooks/carriers/sandbox", content=body, headers=signed(system, body, event_id)
    )

    async def row(state: str, attempts: int) -> Any:
        found = await pool.fetchrow(
            "SELECT id, relay_state, attempts FROM webhook_inbox WHERE event_id = $1", event_id
        )
        return found if found["relay_state"] == state and found["attempts"] >= attempts else None

    first = await wait_for(lambda: row("unmatched", 1), within=15)
    answer = await system.api.post(f"/v1/ops/webhooks/{first['id']}/requeue", headers=OPERATOR)
    assert answer.status_code == 202
    await wait_for(lambda: row("unmatched", 2), within=15)
    again = await system.api.post("/v1/ops/webhooks/999999999/requeue", headers=OPERATOR)
    assert_problem(again, 404)
