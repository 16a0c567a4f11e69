"""The engine behind the API: a worker in production refuses a payload that is not encrypted,
so whoever reaches Temporal past the API cannot hand an order a signal of their own making
(API8); the codec server answers only operators (API2)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.orders import PaymentEvent
from runtime.codec import encrypted_converter
from runtime.settings import DEV_PAYLOAD_CODEC_KEYS, Settings
from store.keyring import Keyring
from tests.domain.helpers import preset
from tests.integration.harness import System
from tests.integration.test_api_contract import assert_problem
from tests.integration.test_returns_http import delivered_order
from tests.security.conftest import production_settings
from tests.workflows.fakes import FakeWorld, held_at_dispatch, order_input
from workflows.names import SIGNAL_PAYMENT_EVENT, order_workflow_id


def test_production_refuses_plaintext_payloads_by_default() -> None:
    assert Settings(_env_file=None, **production_settings()).refuses_plaintext  # type: ignore[call-arg]
    development = Settings(_env_file=None, environment="development")  # type: ignore[call-arg]
    assert not development.refuses_plaintext


async def _failed_tasks(client: Client, workflow_id: str) -> int:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return sum(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED for e in history.events)


async def test_a_worker_that_refuses_plaintext_never_applies_a_plain_signal(
    dev_env: WorkflowEnvironment,
) -> None:
    """On the dev server: a workflow task that keeps failing must not hold up the
    time-skipping server the workflow tests share."""
    from workflows.order.workflow import OrderWorkflow
    from workflows.runner import workflow_runner

    keyring = Keyring(DEV_PAYLOAD_CODEC_KEYS)
    namespace = dev_env.client.namespace
    refusing = Client(
        dev_env.client.service_client,
        namespace=namespace,
        data_converter=encrypted_converter(keyring, namespace, refuse_plaintext=True),
    )
    plain = Client(
        dev_env.client.service_client,
        namespace=namespace,
        data_converter=pydantic_data_converter,  # no codec: plaintext payloads
    )
    world = FakeWorld(challenge=True)
    order = order_input(f"wf-{uuid.uuid4().hex[:8]}", held_at_dispatch(preset("imalent")))
    queue = f"q-{uuid.uuid4()}"
    async with Worker(
        refusing,
        task_queue=queue,
        workflows=[OrderWorkflow],
        workflow_runner=workflow_runner(),
        activities=world.activities(),
    ):
        handle = await dev_env.client.start_workflow(
            OrderWorkflow.run, order, id=order_workflow_id(order.order_id), task_queue=queue
        )
        for _ in range(100):
            if any(c.startswith("authorize") for c in world.calls):
                break
            await asyncio.sleep(0.05)
        assert await _failed_tasks(dev_env.client, handle.id) == 0  # encrypted: all well
        forged = PaymentEvent(event_id="evt_forged", type="payment.failed", payment_id="pay_1")
        await plain.get_workflow_handle(handle.id).signal(SIGNAL_PAYMENT_EVENT, forged)
        for _ in range(600):
            if await _failed_tasks(dev_env.client, handle.id):
                break
            await asyncio.sleep(0.05)
        history = await handle.fetch_history()
        assert await _failed_tasks(dev_env.client, handle.id) >= 1, [
            EventType.Name(e.event_type) for e in history.events
        ]
        await handle.terminate("test over")
    assert "confirm:pay_1" not in world.calls  # the forged word was never acted on


async def test_the_codec_without_an_operators_credential_is_401(system: System) -> None:
    payloads = {"payloads": []}
    assert_problem(await system.api.post("/codec/decode", json=payloads), 401)
    assert_problem(await system.api.post("/codec/ui/not-the-key/decode", json=payloads), 401)


async def test_a_whole_order_runs_on_a_worker_that_refuses_plaintext(
    system_with: Callable[..., AbstractAsyncContextManager[System]],
) -> None:
    """Refusing plaintext costs nothing legitimate: paid, shipped, tracked and delivered,
    every payload the worker reads is one orderflow encrypted."""
    async with system_with(payload_refuse_plaintext=True) as system:
        assert system.settings.refuses_plaintext
        order_id, mine = await delivered_order(system)
        view = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
        kinds = [e["kind"] for e in view["timeline"]]
        assert "paid" in kinds and view["status"] == "delivered"
        history = await system.client.get_workflow_handle(
            order_workflow_id(order_id)
        ).fetch_history()
        failed = [
            e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
        ]
        assert failed == []
