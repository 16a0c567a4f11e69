"""Connecting to Temporal: the local dev server, a self-hosted cluster or Temporal Cloud."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from temporalio.client import Client, Interceptor
from temporalio.converter import DataConverter
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
)
from temporalio.service import TLSConfig

from runtime.codec import encrypted_converter
from runtime.settings import Settings

_runtime: Runtime | None = None


def sdk_runtime(metrics_address: str | None = None) -> Runtime:
    """One SDK runtime per process whose core logs go through the Python logging pipeline;
    with `metrics_address` (the worker's), it serves the SDK's Prometheus metrics there."""
    global _runtime
    if _runtime is None:
        _runtime = Runtime(
            telemetry=TelemetryConfig(
                logging=LoggingConfig(
                    filter="WARN",
                    forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
                ),
                metrics=PrometheusConfig(
                    bind_address=metrics_address,
                    counters_total_suffix=True,
                    durations_as_seconds=True,
                )
                if metrics_address
                else None,
            )
        )
    return _runtime


def data_converter(settings: Settings) -> DataConverter:
    """Every payload encrypted under the settings' keys, bound to the namespace."""
    return encrypted_converter(
        settings.payload_keyring(),
        settings.temporal_namespace,
        settings.refuses_plaintext,
        settings.payload_compression,
    )


def tls_config(settings: Settings) -> TLSConfig | bool:
    if settings.temporal_tls_cert_path and settings.temporal_tls_key_path:
        return TLSConfig(
            client_cert=settings.temporal_tls_cert_path.read_bytes(),
            client_private_key=settings.temporal_tls_key_path.read_bytes(),
            server_root_ca_cert=(
                settings.temporal_tls_ca_path.read_bytes()
                if settings.temporal_tls_ca_path
                else None
            ),
        )
    return settings.temporal_tls or settings.temporal_api_key is not None


async def connect(
    settings: Settings,
    *,
    lazy: bool = False,
    runtime: Runtime | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Client:
    """A client; `lazy` defers the connection to the first call (the API starts without Temporal)."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        api_key=settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None,
        tls=tls_config(settings),
        data_converter=data_converter(settings),
        runtime=runtime or sdk_runtime(),
        interceptors=interceptors,
        lazy=lazy,
    )
