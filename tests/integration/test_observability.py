"""What operators watch: Prometheus metrics on both processes (the worker's with the Temporal
SDK's own and orderflow's business gauges, the API's with latency by route), a JSON access
log, and one trace from the API request through the workflow to its activities."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import asyncpg
import httpx
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from runtime.postgres import free_port
from runtime.tracing import interceptors, tracer_provider
from tests.integration.harness import (
    OPERATOR,
    STOREFRONT,
    System,
    api_metrics,
    order_body,
    running_system,
    wait_for,
)

ROOT = Path(__file__).resolve().parent.parent.parent


async def test_the_api_measures_latency_by_route_template(system: System) -> None:
    placed = await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body())
    assert placed.status_code == 201
    order_id = placed.json()["order_id"]
    assert (await system.api.get(f"/v1/orders/{order_id}", headers=OPERATOR)).status_code == 200
    text = await api_metrics(system)
    bucket = (
        'orderflow_http_request_duration_seconds_count{method="GET",'
        'route="/v1/orders/{order_id}",status="200"}'
    )
    assert bucket in text
    assert order_id not in text  # IDs never become labels
    assert 'route="/v1/orders",status="201"' in text


def _slots(text: str, which: str) -> int | None:
    """The workflow worker's `temporal_worker_task_slots_<which>` gauge, if served."""
    found = re.search(
        rf'^temporal_worker_task_slots_{which}\{{[^}}]*worker_type="WorkflowWorker"[^}}]*\}} (\d+)',
        text,
        re.MULTILINE,
    )
    return int(found.group(1)) if found else None


async def test_the_worker_serves_the_sdks_metrics_and_orderflows_gauges(
    system: System, tmp_path: Path
) -> None:
    placed = await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body())
    assert placed.status_code == 201
    port = free_port()
    settings = system.settings
    env = {
        **os.environ,
        "ORDERFLOW_DATABASE_URL": settings.database_url,
        "ORDERFLOW_TEMPORAL_ADDRESS": settings.temporal_address,
        "ORDERFLOW_TEMPORAL_TASK_QUEUE": f"metrics-{port}",
        "ORDERFLOW_WORKER_METRICS_ADDRESS": f"127.0.0.1:{port}",
        "ORDERFLOW_METRICS_REFRESH_SECONDS": "0.5",
        "ORDERFLOW_WORKFLOW_SANDBOX": "false",
        "ORDERFLOW_WORKER_WORKFLOW_TASK_SLOTS": "6",
        "ORDERFLOW_LOG_JSON": "true",
    }
    log = (tmp_path / "worker.log").open("wb")
    worker = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "worker.py"), cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:

        async def scraped() -> str | None:
            try:
                async with httpx.AsyncClient(timeout=2) as http:
                    text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
            except httpx.HTTPError:
                return None
            ready = "orderflow_orders{" in text and "temporal_worker_start" in text
            return text if ready and _slots(text, "available") is not None else None

        text = await wait_for(scraped, within=60)
        assert re.search(r'orderflow_orders\{[^}]*status="', text)
        assert re.search(r'orderflow_payment_movements\{[^}]*movement="authorization"', text)
        assert "orderflow_webhooks_oldest_pending_seconds" in text
        assert "temporal_request_total" in text or "temporal_long_request_total" in text
        # What the worker autoscaler reads (deploy/kubernetes): the workflow task slots, as
        # many as the setting gives this worker.
        used, available = _slots(text, "used"), _slots(text, "available")
        assert used is not None and available is not None and used + available == 6, text
    finally:
        worker.terminate()
        await asyncio.wait_for(worker.wait(), timeout=30)
        log.close()
    assert b"worker started" in (tmp_path / "worker.log").read_bytes()


async def test_one_trace_runs_from_the_request_through_the_workflow_to_its_activities(
    tmp_path: Path, database_url: str, dev_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    exported = InMemorySpanExporter()
    provider = tracer_provider("orderflow-test", exported)
    tracer = provider.get_tracer("orderflow")
    config = dev_env.client.config()
    config["interceptors"] = interceptors(tracer)
    client = Client(**config)
    async with running_system(tmp_path, database_url, client, pool, tracer=tracer) as system:
        placed = await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body())
        assert placed.status_code == 201
        order_id = placed.json()["order_id"]

        async def paid() -> bool:
            order = (await system.api.get(f"/v1/orders/{order_id}", headers=OPERATOR)).json()
            return order["status"] not in ("pending_payment",)

        await wait_for(paid, within=60)

        def spans() -> list[ReadableSpan] | None:
            provider.force_flush()
            found = list(exported.get_finished_spans())
            names = {s.name for s in found}
            return found if "RunActivity:authorize_payment" in names else None

        finished = await wait_for(lambda: asyncio.to_thread(spans), within=30)
    by_name = {s.name: s for s in finished}
    request = by_name["POST /v1/orders"]
    started = by_name["StartUpdateWithStartWorkflow:OrderWorkflow"]
    assert started.parent is not None and started.parent.span_id == request.context.span_id
    linked = [
        "RunWorkflow:OrderWorkflow",
        "HandleUpdate:payment_step",
        "StartActivity:authorize_payment",
        "RunActivity:authorize_payment",
    ]
    for name in linked:
        assert by_name[name].context.trace_id == request.context.trace_id, name
    assert request.attributes is not None
    assert request.attributes["http.route"] == "/v1/orders"
