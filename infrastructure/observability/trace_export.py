"""The tracer provider the OTEL_* settings describe: its resource, its sampler, its exporter.

Spans leave in batches, from the SDK's own thread (`BatchSpanProcessor`):
a request only puts its spans in a bounded queue, so a collector that is
slow or down never slows or fails one; past the queue's size
(OTEL_BSP_MAX_QUEUE_SIZE, 2048) spans are dropped, not waited for.
"""

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)
from opentelemetry.util.re import parse_env_headers

from infrastructure.observability.trace_settings import TraceSettings
from infrastructure.observability.tracing import Tracing


def build_tracing(settings: TraceSettings) -> Tracing | None:
    """The service's tracing, or None when the settings ask for no traces."""
    if not settings.traces_exported:
        return None
    provider = TracerProvider(resource=_resource(settings), sampler=sampler(settings))
    provider.add_span_processor(BatchSpanProcessor(_exporter(settings)))
    return Tracing(provider)


def sampler(settings: TraceSettings) -> Sampler:
    """OTEL_TRACES_SAMPLER and its argument, as the specification names them."""
    ratio = 1.0 if settings.otel_traces_sampler_arg is None else settings.otel_traces_sampler_arg
    samplers: dict[str, Sampler] = {
        "always_on": ALWAYS_ON,
        "always_off": ALWAYS_OFF,
        "traceidratio": TraceIdRatioBased(ratio),
        "parentbased_always_on": ParentBased(ALWAYS_ON),
        "parentbased_always_off": ParentBased(ALWAYS_OFF),
        "parentbased_traceidratio": ParentBased(TraceIdRatioBased(ratio)),
    }
    return samplers[settings.otel_traces_sampler]


def _exporter(settings: TraceSettings) -> SpanExporter:
    if settings.otel_traces_exporter == "console":
        return ConsoleSpanExporter()
    secret = settings.otel_exporter_otlp_headers
    headers = None if secret is None else parse_env_headers(secret.get_secret_value(), liberal=True)
    # Timeout, compression and certificates: the exporter reads their OTEL_* variables itself.
    return OTLPSpanExporter(endpoint=settings.otlp_traces_url, headers=headers)


def _resource(settings: TraceSettings) -> Resource:
    """service.name over OTEL_RESOURCE_ATTRIBUTES, which the SDK reads and merges in."""
    return Resource.create({SERVICE_NAME: settings.otel_service_name})
