"""Operators still read orders in the Temporal Web UI although Temporal holds them encrypted:
the UI, started as `make run` starts it (`--ui-codec-endpoint`), decodes each payload through
the API's codec server from the browser. Checked in headless Chromium; the screenshot lands
in `.data/screenshots/web-ui-decoded.png`."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from runtime.postgres import LocalPostgres, free_port
from store.db import create_pool, migrate
from tests.conftest import CONVERTER, SCRIPTS
from tests.integration.harness import OPERATOR, STOREFRONT, order_body, running_system, wait_for
from tests.integration.test_page import CHROMIUM, SHOTS
from workflows.names import SEARCH_ATTRIBUTES, order_workflow_id


async def rendered(url: str, shot: Path) -> str:
    """The page's DOM once its scripts have fetched and decoded what it shows."""
    assert CHROMIUM is not None
    common = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--virtual-time-budget=20000",
        "--window-size=1400,1800",
    ]
    taken = await asyncio.to_thread(
        subprocess.run, [*common, f"--screenshot={shot}", url], capture_output=True, timeout=120
    )
    assert taken.returncode == 0, taken.stderr[-500:]
    dom = await asyncio.to_thread(
        subprocess.run, [*common, "--dump-dom", url], capture_output=True, text=True, timeout=120
    )
    assert dom.returncode == 0, dom.stderr[-500:]
    return dom.stdout


@pytest.fixture
async def ui_server(tmp_path: Path) -> AsyncIterator[tuple[WorkflowEnvironment, int, int, str]]:
    api_port, ui_port, key = free_port(), free_port(), secrets.token_urlsafe(16)
    env = await WorkflowEnvironment.start_local(
        data_converter=CONVERTER,
        dev_server_existing_path=str(SCRIPTS / "temporal"),
        search_attributes=SEARCH_ATTRIBUTES,
        ui=True,
        ui_port=ui_port,
        dev_server_extra_args=[
            "--ui-codec-endpoint",
            f"http://127.0.0.1:{api_port}/codec/ui/{key}",
        ],
    )
    try:
        yield env, api_port, ui_port, key
    finally:
        await env.shutdown()


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium here: apt-get install -y chromium")
async def test_an_operator_reads_an_encrypted_order_in_the_web_ui(
    tmp_path: Path,
    postgres: LocalPostgres,
    ui_server: tuple[WorkflowEnvironment, int, int, str],
) -> None:
    env, api_port, ui_port, key = ui_server
    database_url = postgres.create_database("orderflow_web_ui")
    pool = await create_pool(database_url)
    await migrate(pool)
    api = f"http://127.0.0.1:{api_port}"
    try:
        async with running_system(
            tmp_path,
            database_url,
            env.client,
            pool,
            api_port=api_port,
            public_base_url=api,
            sandbox_webhook_url=f"{api}/v1/webhooks",
            temporal_ui_url=f"http://127.0.0.1:{ui_port}",
            codec_ui_key=key,
        ) as system:
            placed = await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body())
            order_id = placed.json()["order_id"]

            async def paid() -> bool:
                view = await system.api.get(f"/v1/orders/{order_id}", headers=OPERATOR)
                return view.json()["status"] not in ("pending_payment", "authorized")

            await wait_for(paid, within=60)
            history = await env.client.get_workflow_handle(
                order_workflow_id(order_id)
            ).fetch_history()
            raw = history.to_json()  # Temporal holds the input encrypted
            assert "pm_card_approved" not in raw and "orderflow demo shop" not in raw

            SHOTS.mkdir(parents=True, exist_ok=True)
            page = (
                f"http://127.0.0.1:{ui_port}/namespaces/default/workflows/"
                f"{order_workflow_id(order_id)}"
            )
            dom = await rendered(page, SHOTS / "web-ui-decoded.png")
            assert order_workflow_id(order_id) in dom  # the page is the order's
            assert "orderflow demo shop" in dom  # its input decoded in the browser
            assert "YmluYXJ5L2VuY3J5cHRlZA" not in dom and "binary/encrypted" not in dom
    finally:
        await pool.close()
