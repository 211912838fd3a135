"""The outbox sender's traces: one per attempt at a mail, none for a look at the outbox."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from infrastructure.container import Container
from infrastructure.observability.tracing import Tracing
from infrastructure.persistence.database import Databases
from tests.conftest import make_settings
from tests.support.accounts import sign_up
from tests.support.live_server import free_port
from tests.support.tracing import attribute_values, in_memory_tracing, statement, traced_client

pytestmark = pytest.mark.postgres


@pytest.fixture
def tracing() -> tuple[Tracing, InMemorySpanExporter]:
    return in_memory_tracing()


@pytest.fixture
def serve(
    tracing: tuple[Tracing, InMemorySpanExporter], database_url: str, pg_databases: Databases
) -> Any:
    """An account signed up (its verification mail owed), then the container, its spans
    cleared; pg_databases empties the tables after."""

    async def signed_up(**settings: Any) -> AsyncIterator[Container]:
        container = Container()
        options = make_settings(repository="postgres", database_url=database_url, **settings)
        async with traced_client(options, tracing[0], container) as client:
            await sign_up(client, username="new.reader", email="new.reader@example.com")
            tracing[1].clear()
            yield container

    return signed_up


async def test_each_mail_sent_is_a_trace_of_its_own_and_a_look_at_the_outbox_is_none(
    serve: Any, tracing: tuple[Tracing, InMemorySpanExporter]
) -> None:
    async for container in serve():
        assert await container.outbox_sender().send_due() == 1
        spans = tracing[1].get_finished_spans()
        tracing[1].clear()

        assert await container.outbox_sender().send_due() == 0
        assert tracing[1].get_finished_spans() == (), "a look that found nothing is no trace"

    (delivery,) = [span for span in spans if span.parent is None]
    assert delivery.name == "mail delivery"
    assert delivery.kind is SpanKind.INTERNAL
    attributes = delivery.attributes or {}
    assert (attributes["mail.kind"], attributes["mail.attempt"]) == ("verify-email", 1)
    assert attributes["mail.outcome"] == "sent"
    assert delivery.status.status_code is StatusCode.UNSET
    assert {span.context.trace_id for span in spans} == {delivery.context.trace_id}
    statements = [statement(span) or "" for span in spans if span.kind is SpanKind.CLIENT]
    assert any(sql.startswith("UPDATE outbox SET sent_at") for sql in statements), statements
    assert not any("SKIP LOCKED" in sql for sql in statements), "the claim is not traced"
    assert not any("new.reader@example.com" in value for value in attribute_values(spans))


async def test_a_mail_not_sent_is_a_failed_span_that_says_it_waits_for_a_retry(
    serve: Any, tracing: tuple[Tracing, InMemorySpanExporter]
) -> None:
    nobody = {"smtp_host": "127.0.0.1", "smtp_port": free_port(), "smtp_tls": "none"}
    async for container in serve(**nobody):
        assert await container.outbox_sender().send_due() == 0
        spans = tracing[1].get_finished_spans()

    (delivery,) = [span for span in spans if span.parent is None]
    assert (delivery.attributes or {})["mail.outcome"] == "retry"
    assert delivery.status.status_code is StatusCode.ERROR
    statements = [statement(span) or "" for span in spans if span.kind is SpanKind.CLIENT]
    assert any(sql.startswith("UPDATE outbox SET due_at") for sql in statements), statements
