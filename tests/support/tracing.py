"""Apps whose spans a test can read: the real tracing, exporting into memory.

The SDK's `InMemorySpanExporter`, behind a `SimpleSpanProcessor` so that a
span is there as soon as it ends; everything else (the instrumentations,
the use-case spans, the pool's) is what the service installs itself.
"""

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any, Final

import httpx
from dependency_injector import providers
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from infrastructure.container import Container
from infrastructure.observability.tracing import Tracing
from infrastructure.persistence.database import build_databases
from infrastructure.settings import Settings
from interfaces.http.app import create_app

STATEMENT_KEYS: Final = ("db.statement", "db.query.text")
"""Where the psycopg instrumentation puts the SQL, in the old and the stable conventions."""


def in_memory_tracing() -> tuple[Tracing, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return Tracing(provider), exporter


@asynccontextmanager
async def traced_client(
    settings: Settings, tracing: Tracing, container: Container | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app on `settings`, traced by `tracing`, its pools opened for it; the
    app is built on `container` when it is given, for a test to reach its providers."""
    container = container or Container()
    container.settings.override(providers.Object(settings))
    container.tracing.override(providers.Object(tracing))
    databases = None
    if settings.repository == "postgres":
        databases = build_databases(settings, tracing)
        await databases.open()
        await databases.primary.pool.wait()
        container.databases.override(providers.Object(databases))
    transport = httpx.ASGITransport(app=create_app(container))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        if databases is not None:
            await databases.close()


def statement(span: ReadableSpan) -> str | None:
    attributes = span.attributes or {}
    for key in STATEMENT_KEYS:
        if key in attributes:
            return str(attributes[key])
    return None


def attribute_values(spans: Iterable[ReadableSpan]) -> list[str]:
    """Every attribute value of every span and of its events, as text."""
    values: list[Any] = []
    for span in spans:
        values += list((span.attributes or {}).values())
        for event in span.events:
            values += list((event.attributes or {}).values())
    return [str(value) for value in values]


def one(spans: Iterable[ReadableSpan], name: str) -> ReadableSpan:
    (found,) = [span for span in spans if span.name == name]
    return found
