"""Traces are off unless the OTEL_* settings ask for them, and off means nothing installed."""

import json
import logging
import os
import subprocess
import sys
from types import CoroutineType
from typing import Any, Final

import pytest
from dependency_injector import providers
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from psycopg_pool import AsyncConnectionPool

from application.posts import PostService
from infrastructure.container import Container
from infrastructure.observability.logging import TraceIdFilter, logging_config
from infrastructure.observability.trace_export import build_tracing, sampler
from infrastructure.persistence.database import build_databases
from interfaces.http.app import create_app
from tests.conftest import make_settings
from tests.support.paths import PROJECT_ROOT
from tests.support.tracing import in_memory_tracing

_SERVING: Final = (
    "import json, sys; import interfaces.cli.serving; "
    "from interfaces.http.app import create_app; create_app(); "
    "print(json.dumps(sorted(name for name in sys.modules if name.startswith(("
    "'opentelemetry.sdk', 'opentelemetry.exporter', 'opentelemetry.instrumentation')))))"
)
"""Builds the app as a serving worker does and prints the OpenTelemetry modules that weigh."""


@pytest.mark.parametrize(
    ("settings", "exported"),
    [
        ({}, False),
        ({"otel_exporter_otlp_endpoint": "http://127.0.0.1:4318"}, True),
        ({"otel_exporter_otlp_traces_endpoint": "http://127.0.0.1:4318/v1/traces"}, True),
        ({"otel_traces_exporter": "otlp"}, True),
        ({"otel_traces_exporter": "Console"}, True),
        ({"otel_traces_exporter": "none", "otel_exporter_otlp_endpoint": "http://c:4318"}, False),
        ({"otel_sdk_disabled": True, "otel_exporter_otlp_endpoint": "http://c:4318"}, False),
    ],
)
def test_traces_are_exported_only_when_asked_for(settings: dict[str, Any], exported: bool) -> None:
    assert make_settings(**settings).traces_exported is exported
    assert (build_tracing(make_settings(**settings)) is not None) is exported


@pytest.mark.parametrize(
    ("settings", "url"),
    [
        ({"otel_traces_exporter": "otlp"}, "http://localhost:4318/v1/traces"),
        (
            {"otel_exporter_otlp_endpoint": "http://collector:4318"},
            "http://collector:4318/v1/traces",
        ),
        ({"otel_exporter_otlp_endpoint": "http://c:4318/otlp/"}, "http://c:4318/otlp/v1/traces"),
        (
            {
                "otel_exporter_otlp_endpoint": "http://base:4318",
                "otel_exporter_otlp_traces_endpoint": "http://traces:9999/in",
            },
            "http://traces:9999/in",
        ),
    ],
)
def test_the_traces_url_follows_the_specification(settings: dict[str, Any], url: str) -> None:
    assert make_settings(**settings).otlp_traces_url == url


def test_the_samplers_are_the_specifications() -> None:
    chosen = sampler(
        make_settings(otel_traces_sampler="parentbased_traceidratio", otel_traces_sampler_arg=0.25)
    )

    assert isinstance(chosen, ParentBased)
    assert "TraceIdRatioBased{0.25}" in str(chosen.get_description())  # type: ignore[no-untyped-call]
    assert isinstance(sampler(make_settings(otel_traces_sampler="traceidratio")), TraceIdRatioBased)


def test_a_protocol_the_service_does_not_ship_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="http/protobuf"):
        make_settings(otel_exporter_otlp_protocol="grpc")


def test_the_headers_for_the_collector_are_a_secret() -> None:
    settings = make_settings(otel_exporter_otlp_headers="api-key=hunter2-collector")

    assert "hunter2-collector" not in repr(settings)


def test_off_the_app_has_no_instrumentation_and_the_services_run_as_they_are() -> None:
    container = Container(settings=providers.Object(make_settings()))
    app = create_app(container)

    assert container.tracing() is None
    assert not getattr(app, "_is_instrumented_by_opentelemetry", False)
    assert type(container.post_service()) is PostService
    assert "trace_id" not in logging_config(log_format="json", level="INFO")["filters"]


def _modules_a_serving_process_imports(otel: dict[str, str]) -> list[str]:
    """In a process of its own, with only `otel` of the OTEL_* variables: this one has
    imported the SDK for the other tests."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    environment |= {"REPOSITORY": "memory", "ENVIRONMENT": "test"} | otel
    result = subprocess.run(
        [sys.executable, "-c", _SERVING],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    modules: list[str] = json.loads(result.stdout)
    return modules


def test_off_a_serving_process_imports_no_sdk_exporter_or_instrumentation() -> None:
    """They are about 6 MiB of RSS per process, which traces off never uses."""
    assert _modules_a_serving_process_imports({}) == []


def test_on_a_serving_process_imports_them_when_it_builds_its_tracing() -> None:
    modules = _modules_a_serving_process_imports({"OTEL_TRACES_EXPORTER": "console"})

    assert "opentelemetry.sdk.trace" in modules
    assert "opentelemetry.instrumentation.fastapi" in modules
    assert "opentelemetry.instrumentation.psycopg" in modules


def test_off_the_pools_lend_connections_straight_from_psycopg_pool() -> None:
    settings = make_settings(repository="postgres", database_url="postgresql://u@127.0.0.1/db")
    database = build_databases(settings).primary

    lent = database.getconn()
    assert isinstance(lent, CoroutineType)
    lent.close()
    assert lent.cr_code is AsyncConnectionPool.getconn.__code__


def test_on_the_services_are_traced_and_the_log_lines_carry_trace_ids() -> None:
    tracing, _ = in_memory_tracing()
    container = Container(settings=providers.Object(make_settings()))
    container.tracing.override(providers.Object(tracing))
    app = create_app(container)

    assert getattr(app, "_is_instrumented_by_opentelemetry", False)
    assert type(container.post_service()) is not PostService
    assert "trace_id" in logging_config(log_format="json", level="INFO", traces=True)["filters"]


def test_a_line_written_in_a_span_gets_its_trace_and_span_ids() -> None:
    tracer = TracerProvider().get_tracer("test")
    inside = logging.LogRecord("x", logging.INFO, "", 0, "inside", None, None)
    outside = logging.LogRecord("x", logging.INFO, "", 0, "outside", None, None)

    with tracer.start_as_current_span("work") as span:
        TraceIdFilter().filter(inside)
    TraceIdFilter().filter(outside)

    assert inside.__dict__["trace_id"] == f"{span.get_span_context().trace_id:032x}"
    assert inside.__dict__["span_id"] == f"{span.get_span_context().span_id:016x}"
    assert "trace_id" not in outside.__dict__
