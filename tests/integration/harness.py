"""The whole system in one test process: sandbox providers, SMTP sink, API and worker, each
on its own loopback port, against the session's PostgreSQL and Temporal dev server."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvicorn
from fastapi import FastAPI
from opentelemetry.trace import Tracer
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Worker

from activities import build_activities
from adapters.email.smtp import SmtpMailer
from domain.policy import PRESETS_DIR
from runtime.codec import EncryptionCodec
from runtime.postgres import free_port
from runtime.providers import customer_links
from runtime.settings import Settings
from runtime.temporal import data_converter
from sandbox.app import create_app as create_sandbox
from sandbox.smtp import MailFolder, start_sink
from starter.app import create_app as create_api
from store.sealing import Sealer
from tests.paths import DEMO_PRESET
from worker import build_worker, open_providers

STOREFRONT_KEY = "sf_test_storefront"
OPERATOR_KEY = "shared-test-operator-key"


@asynccontextmanager
async def serve(app: FastAPI, port: int) -> AsyncIterator[None]:
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
        )
    )
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError(f"server on port {port} stopped during start-up")
        await asyncio.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        await task


def short_window_presets(folder: Path, return_window: str = "PT2S") -> Path:
    """The demo preset with a return window short enough for a test."""
    folder.mkdir(parents=True, exist_ok=True)
    text = DEMO_PRESET.read_text().replace('length = "PT60S"', f'length = "{return_window}"')
    (folder / "demo.toml").write_text(text)
    # A shop whose parcels leave the next day at 23:59: its windows can be seen open.
    hold = (
        text.replace('merchant = "demo"', 'merchant = "holdshop"')
        .replace('window_after_payment = "PT2M"', 'window_after_payment = "PT23H"')
        .replace('within_after_payment = "PT1M"', 'within_after_payment = "PT24H"')
    )
    hold += '\n[shipping.dispatch]\nsame_business_day = false\ncutoff = 23:59:00\nclauses = ["IMA-SHP-2"]\n'
    (folder / "holdshop.toml").write_text(hold)
    # A shop whose card payments all pass a 3-D Secure challenge.
    secure = text.replace('merchant = "demo"', 'merchant = "secureshop"').replace(
        "requires_3ds = false", "requires_3ds = true"
    )
    (folder / "secureshop.toml").write_text(secure)
    # A shop that holds orders of 30 EUR or more billed abroad for an operator's review.
    review = text.replace('merchant = "demo"', 'merchant = "reviewshop"')
    review += (
        '\n[payment.fraud]\nreview_score = 50\namount_threshold = "30"\n'
        'may_require_invoice = true\nclauses = ["IMA-FRD-1"]\n'
    )
    (folder / "reviewshop.toml").write_text(review)
    # A shop whose returns need an operator's approval and pass an inspection (kwoking's rules
    # on the demo shop's fast courier), with a 30-day window.
    returns = text.replace('merchant = "demo"', 'merchant = "returnshop"').replace(
        f'length = "{return_window}"', 'length = "P30D"'
    )
    returns += (
        "\n[returns.rma]\ntracking_number_requested = true\n"
        'contents_required = ["order_number", "product", "quantity", "problem_description"]\n'
        'clauses = ["KWO-RMA-1", "KWO-RMA-2", "KWO-RMA-5", "KWO-RMA-6"]\n'
        '\n[returns.inspection]\nclauses = ["KWO-RMA-4", "KWO-RMA-7", "KWO-RMA-8"]\n'
        '\n[[claims]]\nkind = "shipping_damage"\nwithin = "P14D"\ncounted_from = "delivery"\n'
        'evidence = ["item", "packaging", "outer_label"]\nclauses = ["KWO-DEF-2", "KWO-RMA-3"]\n'
        '\n[[support]]\nrespond_within = "PT24H"\nclauses = ["PAR-SUP-1"]\n'
    )
    (folder / "returnshop.toml").write_text(returns)
    # A shop that ships from abroad: a parcel refused at customs is a conversation (IMA-CUS-1).
    customs = text.replace('merchant = "demo"', 'merchant = "customsshop"')
    customs += '\n[shipping.customs]\norigin_country = "CN"\nclauses = ["IMA-CUS-1"]\n'
    (folder / "customsshop.toml").write_text(customs)
    # Shipped presets as they are: a merchant of services, one of digital cards, and kwoking.
    for shipped in ("services", "cardnet", "kwoking"):
        (folder / f"{shipped}.toml").write_text((PRESETS_DIR / f"{shipped}.toml").read_text())
    return folder


def settings_for(
    folder: Path, database_url: str, temporal_address: str, **overrides: Any
) -> Settings:
    api, sandbox, smtp = free_port(), free_port(), free_port()
    values: dict[str, Any] = dict(
        environment="test",
        database_url=database_url,
        temporal_address=temporal_address,
        temporal_task_queue=f"orders-{uuid.uuid4().hex[:8]}",
        api_port=api,
        api_metrics_address=f"127.0.0.1:{free_port()}",
        public_base_url=f"http://127.0.0.1:{api}",
        storefront_api_key=STOREFRONT_KEY,
        operator_api_key=OPERATOR_KEY,
        order_token_secret="test-order-token-secret",
        smtp_port=smtp,
        sandbox_port=sandbox,
        sandbox_webhook_url=f"http://127.0.0.1:{api}/v1/webhooks",
        sandbox_state_path=folder / "sandbox.sqlite3",
        sandbox_tracking_step_seconds=0.3,
        payment_provider_url=f"http://127.0.0.1:{sandbox}/payments",
        carrier_provider_url=f"http://127.0.0.1:{sandbox}/carriers",
        card_issuer_url=f"http://127.0.0.1:{sandbox}/cards",
        policies_dir=short_window_presets(folder / "policies"),
        relay_poll_seconds=0.2,
        evidence_store_url=f"file:{folder / 'evidence'}",
        # the suite's clients all come from 127.0.0.1: limits of their own are in tests/security
        rate_limit_per_address="100000/minute",
        rate_limit_per_token="100000/minute",
        rate_limit_unauthorized="100000/minute",
    )
    values.update(overrides)
    return Settings(**values)


@dataclass
class System:
    settings: Settings
    api: httpx.AsyncClient
    sandbox: httpx.AsyncClient
    mail: MailFolder
    client: Client


@asynccontextmanager
async def running_system(
    folder: Path,
    database_url: str,
    client: Client,
    pool: asyncpg.Pool,
    *,
    with_worker: bool = True,
    tracer: Tracer | None = None,
    **overrides: Any,
) -> AsyncIterator[System]:
    settings = settings_for(
        folder, database_url, client.service_client.config.target_host, **overrides
    )
    async with AsyncExitStack() as stack:
        controller, mail = start_sink(folder / "mail", "127.0.0.1", settings.smtp_port)
        stack.callback(controller.stop)
        await stack.enter_async_context(
            serve(create_sandbox(settings, folder / "mail"), settings.sandbox_port)
        )
        await stack.enter_async_context(
            serve(create_api(settings, temporal=client, tracer=tracer), settings.api_port)
        )
        if with_worker:
            providers = await open_providers(settings, stack)
            activities = build_activities(
                pool,
                providers.payments,
                providers.carrier,
                SmtpMailer("127.0.0.1", settings.smtp_port),
                settings.mail_from,
                issuer=providers.issuer,
                tracking=providers.tracking,
                sealer=Sealer(settings.card_code_keys.get_secret_value()),
                operators_email=settings.operators_email,
                links=customer_links(settings),
            )
            # The worker's own client, with the converter the settings make (a production
            # worker refuses plaintext payloads), on the session's connection.
            own = Client(**{**client.config(), "data_converter": data_converter(settings)})
            worker: Worker = build_worker(own, activities, settings.temporal_task_queue)
            await stack.enter_async_context(worker)
        api = await stack.enter_async_context(
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.api_port}", timeout=30)
        )
        sandbox = await stack.enter_async_context(
            httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{settings.sandbox_port}",
                timeout=30,
                headers={
                    "Authorization": f"Bearer {settings.payment_provider_api_key.get_secret_value()}"
                },
            )
        )
        yield System(settings, api, sandbox, mail, client)


def order_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "merchant": "demo",
        "currency": "EUR",
        "customer": {"email": "jane.doe@example.com"},
        "shipping_address": {
            "name": "Jane Doe",
            "line1": "Brivibas iela 1",
            "city": "Riga",
            "postal_code": "LV-1010",
            "country": "LV",
        },
        "lines": [{"sku": "LAMP-1", "name": "Flashlight", "quantity": 2, "unit_price": "19.90"}],
        "payment": {"method": "card", "token": "pm_card_approved"},
    }
    body.update(changes)
    return body


STOREFRONT = {"Authorization": f"Bearer {STOREFRONT_KEY}"}
OPERATOR = {"Authorization": f"Bearer {OPERATOR_KEY}"}


async def api_metrics(system: System) -> str:
    """What the API's own metrics address serves (it is not on the public port)."""
    address = system.settings.api_metrics_address
    async with httpx.AsyncClient(timeout=10) as http:
        return (await http.get(f"http://{address}/metrics")).text


async def wait_for(predicate: Any, within: float = 60.0, interval: float = 0.2) -> Any:
    """Poll an async predicate until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(interval)


def history_plaintext(history: WorkflowHistory) -> str:
    """Every payload of a history as the worker reads it (decrypted with the settings'
    development keys): what a person holding the keys could find in it."""
    codec = EncryptionCodec(Settings(_env_file=None).payload_keyring(), "default")  # type: ignore[call-arg]

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if isinstance(node.get("data"), str) and isinstance(node.get("metadata"), dict):
                payload = Payload(
                    metadata={k: base64.b64decode(v) for k, v in node["metadata"].items()},
                    data=base64.b64decode(node["data"]),
                )
                yield codec.open(payload).data.decode(errors="replace")
            else:
                for value in node.values():
                    yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    return "".join(walk(json.loads(history.to_json())))
