"""OpenTelemetry traces: the server span, each use case, the wait for a connection, each statement.

A `Tracing` exists only when the settings ask for traces
(`TraceSettings.traces_exported`; see `build_tracing`). Without one nothing
here is installed: no ASGI middleware, no traced cursors, the services
unwrapped, no log filter. What is left on a request is one `is None` check in
the envelope middleware. Nor is anything here imported: the SDK and the
instrumentations are about 6 MiB of a process's memory, so the container
imports this module only when it builds a `Tracing`, and the modules that
name the class otherwise do so for the type checker alone.

What the spans carry, and what they never do:
- the server span is the maintained FastAPI instrumentation's, named after
  the route's template (`POST /posts/`), with W3C `traceparent` read from
  the request (OTEL_PROPAGATORS, tracecontext and baggage by default);
  headers are not recorded, and those that carry credentials are redacted
  should an operator ask for headers with the instrumentation's own
  variables;
- a span per use case, named `PostService.publish_post`, with no
  arguments (they hold passwords and tokens), and an error's type but never
  its message;
- a span for the wait for a pooled connection;
- a trace per attempt at a mail of the outbox (`mail delivery`: its kind,
  attempt and outcome, never its recipient), while the sender's looks at the
  outbox make none;
- a client span per SQL statement, from the maintained psycopg
  instrumentation: the statement as compiled, whose values are all bound
  parameters (`%(name)s`), and the parameters themselves never
  (`capture_parameters=False`, and no sqlcommenter).
"""

import asyncio
import functools
import inspect
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager
from typing import Any, Final, TypeVar, cast

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.psycopg import DatabaseApiAsyncIntegration
from opentelemetry.instrumentation.psycopg.version import __version__ as psycopg_instrumentation
from opentelemetry.instrumentation.utils import (
    is_instrumentation_enabled,
    suppress_instrumentation,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import StatusCode, Tracer

from application.mail.ports import DeliveryOutcome
from domain.errors import DomainError
from domain.mail import OutgoingMail

SCOPE: Final = "users-posts-service"
"""The instrumentation scope of the service's own spans."""

QUIET_PATHS: Final = "/health/live,/health/ready,/metrics"
"""Probed every few seconds: no spans. Passed to the instrumentation, which then reads no
OTEL_PYTHON_FASTAPI_EXCLUDED_URLS."""

REDACTED_HEADERS: Final = ["authorization", "proxy-authorization", "cookie", "set-cookie"]
"""Never recorded in clear, whatever the instrumentation's header variables ask for."""

REQUEST_ID: Final = "request.id"
"""The server span's attribute that joins the trace to the request id of the logs."""

ERROR_TYPE: Final = "error.type"
CODE_FUNCTION: Final = "code.function.name"
POOL_NAME: Final = "db.client.connection.pool.name"
MAIL_ID: Final = "mail.id"
MAIL_KIND: Final = "mail.kind"
MAIL_ATTEMPT: Final = "mail.attempt"
MAIL_OUTCOME: Final = "mail.outcome"

# What the psycopg instrumentation reads off a connection for its spans: the
# database, the server and the role, never the password.
_CONNECTION_ATTRIBUTES: Final = {
    "database": "info.dbname",
    "port": "info.port",
    "host": "info.host",
    "user": "info.user",
}
FLUSH_TIMEOUT_SECONDS: Final = 3.0
"""How long the app's shutdown waits for the last spans: a collector that is down must not
hold a restart up for the exporter's retries (OTEL_EXPORTER_OTLP_TIMEOUT, 10 s)."""

T = TypeVar("T")
C = TypeVar("C")


class StatementTracing:
    """One database's statements as client spans, by the psycopg instrumentation.

    Its `DatabaseApiAsyncIntegration` is what `PsycopgInstrumentor` itself
    wraps each connect with. Used here per pool rather than through
    `instrument()`, which patches psycopg for the whole process with one
    provider, and rather than `instrument_connection()`, which replaces the
    connection's own cursor factory (DB_ECHO's) and records no database or
    server.
    """

    __slots__ = ("_integration",)

    def __init__(self, provider: TracerProvider) -> None:
        self._integration = DatabaseApiAsyncIntegration(
            "opentelemetry.instrumentation.psycopg",
            "postgresql",
            connection_attributes=_CONNECTION_ATTRIBUTES,
            version=psycopg_instrumentation,
            tracer_provider=provider,
            capture_parameters=False,
            enable_commenter=False,
        )

    async def connect(
        self, connect: Callable[..., Awaitable[C]], conninfo: str, kwargs: dict[str, Any]
    ) -> C:
        """`connect(conninfo, **kwargs)`, its connection's cursors traced."""
        arguments = cast(tuple[Any, Any], (conninfo,))
        return cast(C, await self._integration.wrapped_connection(connect, arguments, kwargs))


class Tracing:
    """A tracer provider and what the service hangs on it; built only when traces are on."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider: Final = provider
        self.tracer: Final[Tracer] = provider.get_tracer(SCOPE)

    def instrument(self, app: FastAPI, *, excluded_urls: str | None = QUIET_PATHS) -> None:
        """Give `app` its server spans, outermost, so the envelope's log lines are inside them.

        No spans of their own for each ASGI message sent or received: they
        double the spans of a request and say nothing its server span does not.
        """
        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=self.provider,
            excluded_urls=excluded_urls,
            http_capture_headers_sanitize_fields=REDACTED_HEADERS,
            exclude_spans=["receive", "send"],
        )

    def statements(self) -> StatementTracing:
        return StatementTracing(self.provider)

    def untraced(self) -> AbstractContextManager[None]:
        """A block whose statements make no spans: a pool's own work on a new connection,
        which no request waits for, would otherwise start a trace of its own each time."""
        return suppress_instrumentation()

    @asynccontextmanager
    async def waiting_for_connection(self, pool: str) -> AsyncIterator[None]:
        """A span around the wait for a pooled connection: the time a request stood in line.

        None inside `untraced()`, like the statements there."""
        if not is_instrumentation_enabled():
            yield
            return
        with self.tracer.start_as_current_span(
            "connection pool wait", attributes={POOL_NAME: pool}
        ):
            yield

    def mail_deliveries(self) -> "MailDeliveryTracing":
        return MailDeliveryTracing(self.tracer)

    def use_cases(self, service: T) -> T:
        """`service`, each of its public coroutine methods run inside a span of its own."""
        return cast(T, _TracedUseCases(service, self.tracer))

    def join(self, request_id: str) -> str | None:
        """Tag the current server span with `request_id`; its trace id, 32 hex digits.

        None outside a trace (a path the instrumentation excludes). The id is
        given for an unsampled trace too: it is the caller's, from its
        `traceparent`, and the logs carry it.
        """
        span = trace.get_current_span()
        context = span.get_span_context()
        if not context.is_valid:
            return None
        span.set_attribute(REQUEST_ID, request_id)
        return trace.format_trace_id(context.trace_id)

    async def flush(self) -> bool:
        """Export what is queued, waiting at most `FLUSH_TIMEOUT_SECONDS`; False if not done.

        In a thread of its own, which is left to finish by itself past the
        wait: the SDK's flush retries a collector that is down for the
        exporter's whole timeout, whatever timeout it is given, and a thread
        of the loop's executor would hold the loop's own shutdown up as long.
        """
        flushed: list[bool] = []
        exporting = threading.Thread(
            target=lambda: flushed.append(self.provider.force_flush()),
            name="otel-flush",
            daemon=True,
        )
        exporting.start()
        await asyncio.to_thread(exporting.join, FLUSH_TIMEOUT_SECONDS)
        return flushed == [True]


class MailDeliveryTracing:
    """The outbox sender's traces (`application.mail.ports.DeliveryTracing`)."""

    __slots__ = ("_tracer",)

    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer

    def claiming(self) -> AbstractContextManager[None]:
        return suppress_instrumentation()

    @contextmanager
    def delivering(self, mail: OutgoingMail) -> Iterator[Callable[[DeliveryOutcome], None]]:
        attributes = {
            MAIL_ID: str(mail.id),
            MAIL_KIND: mail.kind.value,
            MAIL_ATTEMPT: mail.attempts,
        }
        # A root whatever runs it: one mail's delivery is no part of a request.
        with self._tracer.start_as_current_span(
            "mail delivery",
            context=trace.set_span_in_context(trace.INVALID_SPAN),
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:

            def told(outcome: DeliveryOutcome) -> None:
                span.set_attribute(MAIL_OUTCOME, outcome.value)
                if outcome is not DeliveryOutcome.SENT:
                    span.set_status(StatusCode.ERROR, f"not sent: {outcome.value}")

            try:
                yield told
            except Exception as error:
                span.set_attribute(ERROR_TYPE, type(error).__qualname__)
                span.set_status(StatusCode.ERROR, type(error).__qualname__)
                raise


class _TracedUseCases:
    """A service whose public coroutine methods each run in a span named after them.

    A proxy, applied by the container, so that the use cases import nothing of
    OpenTelemetry and run unwrapped when traces are off.
    """

    __slots__ = ("_prefix", "_service", "_tracer")

    def __init__(self, service: object, tracer: Tracer) -> None:
        self._service = service
        self._tracer = tracer
        self._prefix = type(service).__name__

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._service, name)
        if name.startswith("_") or not inspect.iscoroutinefunction(attribute):
            return attribute
        return _in_span(self._tracer, f"{self._prefix}.{name}", attribute)


def _in_span(
    tracer: Tracer, name: str, function: Callable[..., Awaitable[T]]
) -> Callable[..., Awaitable[T]]:
    qualified = f"{function.__module__}.{function.__qualname__}"

    @functools.wraps(function)
    async def traced(*args: Any, **kwargs: Any) -> T:
        # Not the SDK's own exception recording: it writes the message, which may
        # quote what the caller sent.
        with tracer.start_as_current_span(
            name,
            attributes={CODE_FUNCTION: qualified},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                return await function(*args, **kwargs)
            except DomainError as error:
                # The caller's mistake or a refusal: its answer says so, the span is no error.
                span.set_attribute(ERROR_TYPE, type(error).__qualname__)
                raise
            except Exception as error:
                span.set_attribute(ERROR_TYPE, type(error).__qualname__)
                span.set_status(StatusCode.ERROR, type(error).__qualname__)
                raise

    return traced
