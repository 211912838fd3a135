"""Spans exported for real: OTLP over HTTP to a collector on the loopback, or to none at all."""

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from infrastructure.observability.trace_export import build_tracing
from infrastructure.observability.tracing import Tracing
from tests.conftest import make_settings
from tests.support.live_server import free_port, serving_with_output
from tests.support.otlp_receiver import TRACES_PATH, OtlpReceiver, otlp_receiver
from tests.support.tracing import traced_client

ACCOUNT = {"email": "ada@example.com", "username": "ada", "password": "correct horse battery"}


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with otlp_receiver() as receiver:
        yield receiver


def _exporting_to(url: str, **settings: str) -> Tracing:
    tracing = build_tracing(make_settings(otel_exporter_otlp_endpoint=url, **settings))
    assert tracing is not None
    return tracing


async def test_spans_reach_the_collector_as_otlp_protobuf(receiver: OtlpReceiver) -> None:
    tracing = _exporting_to(receiver.url, otel_service_name="traced-in-a-test")
    try:
        async with traced_client(make_settings(), tracing) as client:
            created = await client.post("/users/", json=ACCOUNT)
        assert await tracing.flush()
    finally:
        tracing.provider.shutdown()

    assert created.status_code == 201
    spans = receiver.spans()
    assert set(receiver.paths) == {TRACES_PATH}
    assert set(receiver.content_types) == {"application/x-protobuf"}
    (server,) = [found for found in spans if found.span.kind == Span.SPAN_KIND_SERVER]
    assert server.span.name == "POST /users/"
    assert server.span.trace_id.hex() == created.headers["X-Trace-ID"]
    assert {found.service for found in spans} == {"traced-in-a-test"}
    assert "UserService.register_user" in {found.span.name for found in spans}
    assert server.attributes["request.id"] == created.headers["X-Request-ID"]


async def test_a_collector_that_is_down_fails_no_request(monkeypatch: pytest.MonkeyPatch) -> None:
    # The exporter's retries then give up within a second, so the test's shutdown does too.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1")
    tracing = _exporting_to(f"http://127.0.0.1:{free_port()}")
    try:
        async with traced_client(make_settings(), tracing) as client:
            created = await client.post("/users/", json=ACCOUNT)
            reads = [await client.get(created.headers["location"]) for _ in range(20)]
        await tracing.flush()
    finally:
        tracing.provider.shutdown()

    assert created.status_code == 201
    assert {read.status_code for read in reads} == {200}
    assert all("X-Trace-ID" in read.headers for read in reads)


async def test_requests_go_on_while_an_export_hangs() -> None:
    """A collector that takes the connection and never answers: the requests do not wait."""
    release = threading.Event()
    with otlp_receiver(hold=release) as receiver:
        tracing = _exporting_to(receiver.url)
        try:
            async with traced_client(make_settings(), tracing) as client:
                created = await client.post("/users/", json=ACCOUNT)
                flushing = threading.Thread(target=tracing.provider.force_flush)
                flushing.start()
                assert receiver.holding.wait(timeout=10), "the first export reached the collector"
                reads = [await client.get(created.headers["location"]) for _ in range(20)]
                still_held = receiver.holding.is_set() and not release.is_set()
        finally:
            release.set()
            flushing.join(timeout=10)
            tracing.provider.shutdown()

    assert still_held
    assert {read.status_code for read in reads} == {200}


def test_serve_sends_traces_where_the_standard_variables_say_and_logs_their_ids(
    receiver: OtlpReceiver, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    with serving_with_output(
        log,
        REPOSITORY="memory",
        LOG_FORMAT="json",
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url,
        OTEL_SERVICE_NAME="served",
        OTEL_TRACES_SAMPLER="always_on",
        OTEL_BSP_SCHEDULE_DELAY="100",
    ) as (base_url, _):
        created = httpx.post(f"{base_url}/users/", json=ACCOUNT, timeout=10)
        trace_id = created.headers["X-Trace-ID"]
        spans = receiver.wait_for_spans(2)

    assert created.status_code == 201
    assert trace_id in {found.span.trace_id.hex() for found in spans}
    assert {found.service for found in spans} == {"served"}
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    (access,) = [line for line in lines if line.get("path") == "/users/"]
    assert access["trace_id"] == trace_id
    assert access["request_id"] == created.headers["X-Request-ID"]
