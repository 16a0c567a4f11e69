"""The codec server: Temporal holds orders encrypted, and operators (the CLI with their
credential, the Web UI from its own origin) read them through `/codec/decode`; anyone else
gets 401 or 403, and every call leaves an audit line without the payloads' content."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest
from google.protobuf import json_format
from temporalio.api.enums.v1 import EventType
from temporalio.worker import Replayer

from runtime.codec import ENCODING
from tests.conftest import CONVERTER
from tests.integration.harness import OPERATOR, STOREFRONT, System, order_body, wait_for
from tests.integration.test_api_contract import assert_problem
from worker import WORKFLOWS
from workflows.names import order_workflow_id
from workflows.runner import workflow_runner

UI = "http://127.0.0.1:8233"


async def placed_order_input(system: System) -> tuple[str, dict[str, Any]]:
    """An order's ID and its workflow's input payloads as Temporal holds them (protobuf JSON)."""
    body = order_body()
    body["shipping_address"]["name"] = "Jane Codec"
    placed = await system.api.post("/v1/orders", headers=STOREFRONT, json=body)
    order_id = placed.json()["order_id"]
    handle = system.client.get_workflow_handle(order_workflow_id(order_id))
    history = await handle.fetch_history()
    started = history.events[0]
    assert started.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    inputs = started.workflow_execution_started_event_attributes.input
    return order_id, json_format.MessageToDict(inputs)


def texts(payloads: dict[str, Any]) -> str:
    return "".join(
        base64.b64decode(p["data"]).decode(errors="replace") for p in payloads["payloads"]
    )


async def test_temporal_holds_an_order_encrypted_and_an_operator_reads_it(system: System) -> None:
    order_id, sealed = await placed_order_input(system)
    assert all(base64.b64decode(p["metadata"]["encoding"]) == ENCODING for p in sealed["payloads"])
    assert order_id not in texts(sealed)

    decoded = await system.api.post("/codec/decode", headers=OPERATOR, json=sealed)
    assert decoded.status_code == 200, decoded.text
    assert order_id in texts(decoded.json())

    again = await system.api.post("/codec/encode", headers=OPERATOR, json=decoded.json())
    assert again.status_code == 200 and order_id not in texts(again.json())
    back = await system.api.post("/codec/decode", headers=OPERATOR, json=again.json())
    assert texts(back.json()) == texts(decoded.json())


async def test_the_web_ui_reads_through_its_key_from_its_own_origin_only(system: System) -> None:
    order_id, sealed = await placed_order_input(system)
    key = system.settings.codec_ui_key.get_secret_value()
    ui = {"Origin": UI, "X-Namespace": "default"}

    preflight = await system.api.options(
        f"/codec/ui/{key}/decode",
        headers={
            "Origin": UI,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-namespace",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == UI
    assert "x-namespace" in preflight.headers["access-control-allow-headers"]

    decoded = await system.api.post(f"/codec/ui/{key}/decode", headers=ui, json=sealed)
    assert decoded.status_code == 200, decoded.text
    assert decoded.headers["access-control-allow-origin"] == UI
    assert order_id in texts(decoded.json())

    elsewhere = {"Origin": "http://evil.example", "X-Namespace": "default"}
    assert_problem(
        await system.api.post(f"/codec/ui/{key}/decode", headers=elsewhere, json=sealed), 403
    )
    assert_problem(await system.api.options(f"/codec/ui/{key}/decode", headers=elsewhere), 403)
    assert_problem(await system.api.post(f"/codec/ui/{key}/decode", json=sealed), 403)
    assert_problem(await system.api.post("/codec/ui/guessed/decode", headers=ui, json=sealed), 401)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer oper_not-a-credential"}, 401),
        (STOREFRONT, 403),
        ({**OPERATOR, "Origin": "http://evil.example"}, 403),
    ],
    ids=["none", "unknown", "storefront", "foreign-origin"],
)
async def test_the_codec_is_closed_to_everyone_else(
    system: System, headers: dict[str, str], status: int
) -> None:
    _, sealed = await placed_order_input(system)
    for action in ("decode", "encode"):
        response = await system.api.post(f"/codec/{action}", headers=headers, json=sealed)
        body = assert_problem(response, status)
        assert "pm_card_approved" not in json.dumps(body)


async def test_bad_codec_requests_are_refused_clearly(system: System) -> None:
    assert_problem(await system.api.post("/codec/decode", headers=OPERATOR, content=b"[1"), 400)
    other = {**OPERATOR, "X-Namespace": "another"}
    assert_problem(
        await system.api.post("/codec/decode", headers=other, json={}), 400, "X-Namespace"
    )
    huge = b'{"payloads": [{"data": "' + b"A" * system.settings.codec_max_body_bytes + b'"}]}'
    assert_problem(await system.api.post("/codec/decode", headers=OPERATOR, content=huge), 413)
    foreign = {
        "payloads": [
            {
                "metadata": {
                    "encoding": base64.b64encode(ENCODING).decode(),
                    "encryption-key-id": base64.b64encode(b"gone").decode(),
                },
                "data": base64.b64encode(b"x" * 40).decode(),
            }
        ]
    }
    refused = await system.api.post("/codec/decode", headers=OPERATOR, json=foreign)
    assert "'gone'" in assert_problem(refused, 400, "payloads")["detail"]


async def test_every_codec_call_is_audited_without_content(
    system: System, caplog: pytest.LogCaptureFixture
) -> None:
    _, sealed = await placed_order_input(system)
    with caplog.at_level(logging.INFO, logger="orderflow.api.codec"):
        await system.api.post("/codec/decode", headers=OPERATOR, json=sealed)
        await system.api.post("/codec/decode", headers={"Origin": UI}, json=sealed)
    lines = [str(r.msg) for r in caplog.records if r.name == "orderflow.api.codec"]
    assert len(lines) == 1  # the refused call never reached the codec
    assert "development key" in lines[0] and "'payloads': 1" in lines[0]
    assert "pm_card_approved" not in lines[0]


async def test_an_encrypted_history_replays(system: System) -> None:
    order_id, _ = await placed_order_input(system)
    handle = system.client.get_workflow_handle(order_workflow_id(order_id))

    async def paid() -> bool:
        view = await system.api.get(f"/v1/orders/{order_id}", headers=OPERATOR)
        return view.json()["status"] not in ("pending_payment", "authorized")

    await wait_for(paid, within=60)
    history = await handle.fetch_history()
    assert "pm_card_approved" not in history.to_json()
    replayer = Replayer(
        workflows=WORKFLOWS, workflow_runner=workflow_runner(True), data_converter=CONVERTER
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure
