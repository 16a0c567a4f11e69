"""The API process: storefront, webhooks, operators, health; and the relay beside it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

import structlog
import uvicorn
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from opentelemetry.trace import Tracer
from temporalio.client import Client

from adapters.storage import EvidenceStore, open_store
from domain.policy import PRESETS_DIR, load_presets
from runtime.codec import EncryptionCodec
from runtime.log import configure_logging
from runtime.providers import paypal_gateway
from runtime.settings import Settings, load_settings
from runtime.temporal import connect
from runtime.tokens import TokenKeys
from runtime.tracing import configured_tracer, interceptors
from starter import openapi, problems
from starter.api import health
from starter.api.routers import ROUTERS
from starter.auth import OperatorIdentity
from starter.codec import server as codec
from starter.events.deliver import EventDeliverer
from starter.limits import RateLimits
from starter.observe import RequestObservation
from starter.oidc import OidcOperators
from starter.page import routes as page
from starter.relay.relay import Relay
from starter.schemas.webhooks import EVENTS
from store.db import create_pool, migrate
from store.sealing import Sealer

log = structlog.get_logger("orderflow.api")


def evidence_store(settings: Settings) -> EvidenceStore:
    secret = settings.evidence_s3_secret_access_key
    return open_store(
        settings.evidence_store_url,
        endpoint_url=settings.evidence_s3_endpoint_url,
        region=settings.evidence_s3_region,
        access_key_id=settings.evidence_s3_access_key_id,
        secret_access_key=secret.get_secret_value() if secret else None,
    )


def create_app(
    settings: Settings, *, temporal: Client | None = None, tracer: Tracer | None = None
) -> FastAPI:
    """The app; `temporal` and `tracer` let a test hand in its own client and tracer."""
    tracer = tracer or configured_tracer(settings, "orderflow-api")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = app.state
        state.settings = settings
        state.presets = load_presets(settings.policies_dir or PRESETS_DIR)
        state.pool = await create_pool(settings.database_url, max_size=settings.database_pool_size)
        await migrate(state.pool)
        state.temporal = temporal or await connect(
            settings, lazy=True, interceptors=interceptors(tracer)
        )
        state.evidence = evidence_store(settings)
        state.sealer = Sealer(settings.card_code_keys.get_secret_value())
        state.token_keys = TokenKeys(settings.order_token_secret.get_secret_value())
        state.codec = EncryptionCodec(
            settings.payload_keyring(),
            settings.temporal_namespace,
            compress=settings.payload_compression,
        )
        state.oidc = OidcOperators(settings) if settings.codec_oidc_issuer else None
        state.paypal = paypal_gateway(settings)  # verifies PayPal's webhooks, when it is on
        state.relay = None
        relay_task = None
        if settings.relay_enabled:
            state.relay = Relay(
                state.pool,
                state.temporal,
                settings.temporal_task_queue,
                settings.relay_poll_seconds,
            )
            relay_task = asyncio.create_task(state.relay.run())
        state.events = None
        events_task = None
        if settings.relay_enabled:  # the same loop's sibling: events out to the endpoints
            state.events = EventDeliverer(
                state.pool, state.sealer, settings, settings.relay_poll_seconds
            )
            events_task = asyncio.create_task(state.events.run())
        metrics = health.serve_metrics(settings.api_metrics_address)
        gauges = asyncio.create_task(
            health.refresh_task_gauges(state.pool, settings.metrics_refresh_seconds)
        )
        log.info("api started", presets=sorted(state.presets), relay=settings.relay_enabled)
        try:
            yield
        finally:
            gauges.cancel()
            await asyncio.gather(gauges, return_exceptions=True)
            if metrics is not None:
                metrics.shutdown()
            for task in (relay_task, events_task):
                if task is not None:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            if state.events is not None:
                await state.events.aclose()
            if state.paypal is not None:
                await state.paypal.aclose()
            await state.pool.close()

    app = FastAPIOffline(
        title="orderflow",
        version=version("orderflow"),
        static_url="/static/docs",
        lifespan=lifespan,
        description="The order lifecycle of an online shop, as durable Temporal workflows.",
    )
    problems.install(app)
    openapi.install(app, EVENTS)

    app.add_middleware(OperatorIdentity)
    app.add_middleware(RateLimits, settings=settings)
    app.add_middleware(RequestObservation, tracer=tracer)

    for router in (*ROUTERS, page.router):
        app.include_router(router)
    app.include_router(codec.router)
    return app


def main() -> None:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_json)
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.api_forwarded_allow_ips,
    )


if __name__ == "__main__":
    main()
