"""OpenTelemetry tracing, off unless an OTLP endpoint is configured: the API's request span,
the workflow it starts, the workflow's run and each activity share one trace (the Temporal
SDK's tracing interceptor carries the context in the workflow and activity headers)."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from temporalio.contrib.opentelemetry import TracingInterceptor

from runtime.settings import Settings


def tracer_provider(service: str, exporter: SpanExporter) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def configured_tracer(settings: Settings, service: str) -> trace.Tracer | None:
    """The process's tracer when `otlp_endpoint` is set, exporting over OTLP/HTTP; None
    (no tracing at all) otherwise."""
    if not settings.otlp_endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"
    provider = tracer_provider(service, OTLPSpanExporter(endpoint=endpoint))
    trace.set_tracer_provider(provider)
    return provider.get_tracer("orderflow")


def interceptors(tracer: trace.Tracer | None) -> list[TracingInterceptor]:
    """The Temporal client's interceptors: the tracing one when tracing is on."""
    return [TracingInterceptor(tracer)] if tracer is not None else []
