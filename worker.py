"""The worker process: every workflow and activity of orderflow on task queue `orders`."""

from __future__ import annotations

import asyncio
import signal
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from temporalio.client import Client
from temporalio.worker import Worker

from activities import Activities, build_activities
from adapters.cards.sandbox import SandboxCardIssuer
from adapters.carriers.easypost import EasyPostTracking
from adapters.carriers.sandbox import SandboxCarrier
from adapters.email.smtp import SmtpMailer
from adapters.payments import PaymentGateway
from runtime import loop as event_loop
from runtime.log import configure_logging
from runtime.metrics import BusinessMetrics
from runtime.providers import customer_links, payment_gateway, tracking_service
from runtime.settings import Settings, load_settings
from runtime.temporal import connect, sdk_runtime
from runtime.tracing import configured_tracer, interceptors
from store.db import create_pool, migrate
from store.sealing import Sealer
from workflows.claims.workflow import ClaimWorkflow
from workflows.order.workflow import OrderWorkflow
from workflows.returns.workflow import ReturnWorkflow
from workflows.runner import precompile, workflow_runner
from workflows.subscriptions.workflow import SubscriptionWorkflow

log = structlog.get_logger("orderflow.worker")

WORKFLOWS = [OrderWorkflow, ReturnWorkflow, ClaimWorkflow, SubscriptionWorkflow]


# Workflow tasks are pure Python under one interpreter lock: working more of them at once
# adds no throughput, only latency to each. A worker started on a backlog (after a restart,
# every cached order replays its history) that took the SDK's default of 100 would hold each
# task for seconds, past its 10 s timeout, and the server would hand the task out again with
# its replay wasted. Beyond the slots, tasks wait at the server, where no timeout runs yet.
WORKFLOW_TASK_SLOTS: int = Settings.model_fields["worker_workflow_task_slots"].default

# About 0.19 MB a cached run, 0.8 MB in the sandbox (which gives each run its own copy of
# the workflow modules); a worker's memory limit is sized on this (docs/performance.md).
CACHED_WORKFLOWS: int = Settings.model_fields["worker_cached_workflows"].default

# The settings every orderflow worker runs with (the benchmarks' engine floor uses them too).
WORKER_OPTIONS: dict[str, Any] = dict(
    max_concurrent_activities=100,
    max_concurrent_workflow_tasks=WORKFLOW_TASK_SLOTS,
    # On SIGTERM, activities in flight get this long to finish before they are cancelled.
    graceful_shutdown_timeout=timedelta(seconds=15),
)


def build_worker(
    client: Client,
    activities: Activities,
    task_queue: str,
    *,
    sandboxed: bool = True,
    workflow_task_slots: int = WORKFLOW_TASK_SLOTS,
    cached_workflows: int = CACHED_WORKFLOWS,
) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=activities.all(),
        workflow_runner=workflow_runner(sandboxed),
        **WORKER_OPTIONS
        | {
            "max_concurrent_workflow_tasks": workflow_task_slots,
            "max_cached_workflows": cached_workflows,
        },
    )


@dataclass(frozen=True)
class Providers:
    payments: PaymentGateway
    carrier: SandboxCarrier
    issuer: SandboxCardIssuer
    tracking: EasyPostTracking | None


async def open_providers(settings: Settings, stack: AsyncExitStack) -> Providers:
    """The payment gateway, carrier, card issuer and tracking service the activities call,
    closed with `stack`."""
    timeout = settings.provider_timeout_seconds
    payments = payment_gateway(settings)
    stack.push_async_callback(payments.aclose)
    tracking = tracking_service(settings)
    if tracking is not None:
        stack.push_async_callback(tracking.aclose)
    carrier = SandboxCarrier(
        settings.carrier_provider_url, settings.carrier_provider_api_key.get_secret_value()
    )
    stack.push_async_callback(carrier.aclose)
    issuer = SandboxCardIssuer(
        settings.card_issuer_url, settings.card_issuer_api_key.get_secret_value(), timeout=timeout
    )
    stack.push_async_callback(issuer.aclose)
    return Providers(payments, carrier, issuer, tracking)


async def run(settings: Settings, stop: asyncio.Event) -> None:
    async with AsyncExitStack() as stack:
        pool = await create_pool(settings.database_url, max_size=settings.database_pool_size)
        stack.push_async_callback(pool.close)
        await migrate(pool)
        providers = await open_providers(settings, stack)
        mailer = SmtpMailer(
            settings.smtp_host,
            settings.smtp_port,
            username=settings.smtp_username or None,  # unset (or empty): no login
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            starttls=settings.smtp_starttls,
        )
        stack.push_async_callback(mailer.aclose)
        activities = build_activities(
            pool,
            providers.payments,
            providers.carrier,
            mailer,
            settings.mail_from,
            issuer=providers.issuer,
            tracking=providers.tracking,
            sealer=Sealer(settings.card_code_keys.get_secret_value()),
            operators_email=settings.operators_email,
            links=customer_links(settings),
        )
        if settings.workflow_sandbox:
            precompile(*WORKFLOWS)
        runtime = sdk_runtime(settings.worker_metrics_address or None)
        tracer = configured_tracer(settings, "orderflow-worker")
        client = await connect(settings, runtime=runtime, interceptors=interceptors(tracer))
        gauges = BusinessMetrics(runtime.metric_meter, pool, settings.metrics_refresh_seconds)
        refresh = asyncio.create_task(gauges.run())
        stack.callback(refresh.cancel)
        worker = build_worker(
            client,
            activities,
            settings.temporal_task_queue,
            sandboxed=settings.workflow_sandbox,
            workflow_task_slots=settings.worker_workflow_task_slots,
            cached_workflows=settings.worker_cached_workflows,
        )
        log.info(
            "worker started",
            task_queue=settings.temporal_task_queue,
            temporal=settings.temporal_address,
            namespace=settings.temporal_namespace,
            workflow_sandbox=settings.workflow_sandbox,
            workflow_task_slots=settings.worker_workflow_task_slots,
            cached_workflows=settings.worker_cached_workflows,
            metrics=settings.worker_metrics_address or None,
            tracing=tracer is not None,
        )
        async with worker:
            await stop.wait()
        log.info("worker stopped")


def main() -> None:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_json)
    stop = asyncio.Event()

    async def _main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run(settings, stop)

    event_loop.run(_main())


if __name__ == "__main__":
    main()
