"""The spans of a request: their shape and parentage, on the SDK's in-memory exporter."""

from collections.abc import AsyncIterator

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, format_span_id, format_trace_id

from infrastructure.observability.tracing import REQUEST_ID, Tracing
from infrastructure.persistence.database import Databases
from tests.conftest import make_settings
from tests.support.accounts import Account, sign_up
from tests.support.tracing import in_memory_tracing, one, statement, traced_client

pytestmark = pytest.mark.postgres

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"


@pytest.fixture
def tracing() -> tuple[Tracing, InMemorySpanExporter]:
    return in_memory_tracing()


@pytest.fixture
async def client(
    tracing: tuple[Tracing, InMemorySpanExporter], database_url: str, pg_databases: Databases
) -> AsyncIterator[httpx.AsyncClient]:
    """The app on PostgreSQL, traced into memory; pg_databases empties the tables after."""
    settings = make_settings(repository="postgres", database_url=database_url)
    async with traced_client(settings, tracing[0]) as client:
        yield client


@pytest.fixture
async def author(
    client: httpx.AsyncClient, tracing: tuple[Tracing, InMemorySpanExporter]
) -> Account:
    account = await sign_up(client, username="writer")
    tracing[1].clear()
    return account


def _children(spans: tuple[ReadableSpan, ...], parent: ReadableSpan) -> list[ReadableSpan]:
    return [
        span
        for span in spans
        if span.parent is not None and span.parent.span_id == parent.context.span_id
    ]


async def test_a_post_is_one_server_span_with_its_use_case_and_statement_inside(
    client: httpx.AsyncClient, author: Account, tracing: tuple[Tracing, InMemorySpanExporter]
) -> None:
    response = await client.post(
        "/posts/", json={"title": "Hello", "content": "First post."}, headers=author.headers
    )

    assert response.status_code == 201
    spans = tracing[1].get_finished_spans()
    (server,) = [span for span in spans if span.kind is SpanKind.SERVER]
    assert server.name == "POST /posts/"
    assert server.parent is None
    assert {span.context.trace_id for span in spans} == {server.context.trace_id}
    use_case = one(spans, "PostService.publish_post")
    assert use_case.parent is not None
    assert use_case.parent.span_id == server.context.span_id
    wait = one(_children(spans, use_case), "connection pool wait")
    assert (wait.attributes or {})["db.client.connection.pool.name"] == "primary"
    (insert,) = [span for span in _children(spans, use_case) if span.kind is SpanKind.CLIENT]
    sql = statement(insert)
    assert sql is not None
    assert "INSERT INTO posts" in sql
    assert "%(" in sql, "values are bound parameters, never written into the statement"
    assert "Hello" not in sql
    assert "First post." not in sql
    attributes = insert.attributes or {}
    assert attributes.get("db.system", attributes.get("db.system.name")) == "postgresql"
    assert attributes.get("db.name", attributes.get("db.namespace"))
    assert "db.statement.parameters" not in attributes


async def test_the_server_span_carries_the_request_id_and_answers_its_trace_id(
    client: httpx.AsyncClient, author: Account, tracing: tuple[Tracing, InMemorySpanExporter]
) -> None:
    response = await client.get(f"/users/{author.id}", headers={"X-Request-ID": "trace-me-1"})

    (server,) = [s for s in tracing[1].get_finished_spans() if s.kind is SpanKind.SERVER]
    assert response.headers["X-Request-ID"] == "trace-me-1"
    assert response.headers["X-Trace-ID"] == format_trace_id(server.context.trace_id)
    assert (server.attributes or {})[REQUEST_ID] == "trace-me-1"
    assert server.name == "GET /users/{user_id}"


async def test_an_incoming_traceparent_is_continued(
    client: httpx.AsyncClient, author: Account, tracing: tuple[Tracing, InMemorySpanExporter]
) -> None:
    response = await client.get(
        f"/users/{author.id}", headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"}
    )

    assert response.status_code == 200
    assert response.headers["X-Trace-ID"] == TRACE_ID
    spans = tracing[1].get_finished_spans()
    assert spans
    assert {format_trace_id(span.context.trace_id) for span in spans} == {TRACE_ID}
    (server,) = [span for span in spans if span.kind is SpanKind.SERVER]
    assert server.parent is not None
    assert server.parent.is_remote
    assert format_span_id(server.parent.span_id) == PARENT_ID


async def test_an_unsampled_caller_gets_its_trace_id_and_no_spans(
    client: httpx.AsyncClient, author: Account, tracing: tuple[Tracing, InMemorySpanExporter]
) -> None:
    response = await client.get(
        f"/users/{author.id}", headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-00"}
    )

    assert response.status_code == 200
    assert response.headers["X-Trace-ID"] == TRACE_ID
    assert tracing[1].get_finished_spans() == ()


async def test_a_refused_use_case_names_its_error_and_is_no_server_error(
    client: httpx.AsyncClient, author: Account, tracing: tuple[Tracing, InMemorySpanExporter]
) -> None:
    response = await client.get("/users/999999")

    assert response.status_code == 404
    use_case = one(tracing[1].get_finished_spans(), "UserService.get_user")
    assert (use_case.attributes or {})["error.type"] == "UserNotFoundError"
    assert not use_case.status.is_ok or use_case.status.status_code.name == "UNSET"
    assert use_case.events == ()


async def test_the_probes_are_not_traced(
    client: httpx.AsyncClient, tracing: tuple[Tracing, InMemorySpanExporter]
) -> None:
    live = await client.get("/health/live")
    metrics = await client.get("/metrics")

    assert (live.status_code, metrics.status_code) == (200, 200)
    assert "X-Trace-ID" not in live.headers
    assert tracing[1].get_finished_spans() == ()


async def test_a_new_connections_statement_timeout_makes_no_span(
    client: httpx.AsyncClient, tracing: tuple[Tracing, InMemorySpanExporter]
) -> None:
    """The pool's own SET on each connection it opens: no request waits for it, so no trace."""
    await client.get("/health/live")

    statements = [statement(span) or "" for span in tracing[1].get_finished_spans()]
    assert not [sql for sql in statements if "statement_timeout" in sql]
