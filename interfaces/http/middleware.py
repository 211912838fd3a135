"""The one ASGI layer of our own around every request.

One layer rather than one middleware per concern: each pure-ASGI layer
costs a coroutine frame and a `send` wrapper per message, on every request
(docs/performance.md has what the five layers these concerns used to be
cost). Each concern keeps its own small piece:
the id and the access line here, the header policy in `headers`, the
counting in `Metrics`, the 500 problem in `errors`. Plain ASGI rather than
BaseHTTPMiddleware, so that bodies stream through untouched and nothing is
buffered.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Final

from fastapi import Request
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infrastructure.container import Metrics, ReadYourWrites, request_id
from interfaces.http.errors import unexpected_error
from interfaces.http.header_limits import HeaderLimits
from interfaces.http.headers import security_headers
from interfaces.http.problems import problem_response

if TYPE_CHECKING:
    # A type only: with traces off, the process imports no SDK (see the container).
    from infrastructure.container import Tracing

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("interfaces.http.access")

_REQUEST_ID: Final = re.compile(r"[A-Za-z0-9._-]{1,128}")
QUIET_PATHS: Final = frozenset({"/health/live", "/health/ready", "/metrics"})
"""Probed every few seconds; logged at DEBUG so they do not drown the access log."""

_ENVELOPE_HEADERS: Final = frozenset({b"x-request-id", b"content-length", b"cookie"})
MAX_BODY_BYTES: Final = 1024 * 1024
DEFAULT_HEADER_LIMITS: Final = HeaderLimits(one=8 * 1024, all=32 * 1024)


def _too_large(limit: int) -> str:
    return f"The request body is larger than the limit of {limit} bytes"


def _envelope_headers(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str, str, str]:
    """`X-Request-ID`, `Content-Length` and `Cookie` ("" when absent; the first of each), in
    one pass over the request's headers, which the server gives with lower-case names."""
    wanted: dict[bytes, str] = {}
    for name, value in headers:
        if name in _ENVELOPE_HEADERS and name not in wanted:
            wanted[name] = value.decode("latin-1")
    return (
        wanted.get(b"x-request-id", ""),
        wanted.get(b"content-length", ""),
        wanted.get(b"cookie", ""),
    )


@cache
def _raw(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[bytes, bytes], ...]:
    """Headers as ASGI carries them: lower-case names, both as bytes."""
    return tuple((name.lower().encode(), value.encode()) for name, value in headers)


def _add_headers(message: Message, added: Iterable[tuple[bytes, bytes]]) -> None:
    """Give a response start `added`, each replacing any header of its name the response set.

    Appended when the response has none of that name, as is usual: one look at
    its names instead of a search through them for each header.
    """
    raw: list[tuple[bytes, bytes]] = list(message.get("headers", ()))
    present = {name.lower() for name, _ in raw}
    for name, value in added:
        if name in present:
            raw = [(old, old_value) for old, old_value in raw if old.lower() != name]
        raw.append((name, value))
    message["headers"] = raw


class RequestEnvelopeMiddleware:
    """Everything the service does around a request, from its arrival to its access line.

    In the order a request meets them:

    - **Id.** `X-Request-ID` when it is short and plain (so a proxy's or a
      client's id follows the request through), else a new one; stamped on
      every log line while the request runs, and returned. With `tracing`,
      the id goes on the server span too, and the trace's id is returned
      beside it as `X-Trace-ID`.
    - **Header limits.** A header over `header_limits.one` bytes, or
      headers over `header_limits.all` together, are refused with a 431
      problem before routing, so nothing downstream parses them (the
      entity-tag lists of the conditional headers among them). The server
      refuses heads that grow past both without ever ending
      (`server_protocols`); this answers those that arrive whole.
    - **Body limit.** A declared Content-Length over `max_body_bytes` is
      refused with a 413 problem before routing, so nothing of the body is
      read; a body without one (chunked) is counted as it streams in and
      refused as soon as it passes the limit. FastAPI's own `max_body_size`
      answers some of these cases in plain text; this keeps every error a
      problem document.
    - **Read-your-writes.** With a read replica, the caller's `written_lsn`
      cookie is opened for the request, and a request that wrote sends it
      back with its commit's position (`ReadYourWrites`).
    - **Headers.** The security headers (`headers.security_headers`) and
      the id go on every response, whichever route or error made it.
    - **Last net.** An exception nothing else handled becomes a 500
      problem, logged with its traceback. Starlette's own last-resort
      handler answers too, but then raises the exception again to the
      server, which logs it a second time. Once a response has started it
      is too late for a clean answer, and the server cuts it.
    - **Record.** Counted and timed under the route's template, so ids
      never become metric labels; then one access line with method, path,
      status and duration, never headers, query strings or bodies, so
      nothing secret can reach the log from here.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        behind_tls: bool,
        max_body_bytes: int = MAX_BODY_BYTES,
        header_limits: HeaderLimits = DEFAULT_HEADER_LIMITS,
        read_your_writes: ReadYourWrites | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        self.app = app
        self.tracing = tracing
        self.metrics = metrics
        self.read_your_writes = read_your_writes
        self.behind_tls = behind_tls
        self.max_body_bytes = max_body_bytes
        self.header_limits = header_limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming, declared, cookie = _envelope_headers(scope["headers"])
        rid = incoming if _REQUEST_ID.fullmatch(incoming) else os.urandom(16).hex()
        token = request_id.set(rid)
        trace_id = None if self.tracing is None else self.tracing.join(rid)
        started = time.perf_counter()
        added = [
            *_raw(security_headers(scope["path"], behind_tls=self.behind_tls)),
            (b"x-request-id", rid.encode()),
        ]
        if trace_id is not None:
            added.append((b"x-trace-id", trace_id.encode()))
        status: int | None = None
        positions = self.read_your_writes
        position = (
            None
            if positions is None
            else positions.begin(cookie_parser(cookie).get(positions.cookie))
        )

        async def enveloped_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                _add_headers(message, added)
                written = None if positions is None else positions.set_cookie()
                if written is not None:
                    MutableHeaders(scope=message).append("Set-Cookie", written)
            await send(message)

        self.metrics.in_flight.inc()
        try:
            excess = self.header_limits.excess(scope["headers"])
            if excess is not None:
                refusal = problem_response(Request(scope), 431, excess)
                await refusal(scope, receive, enveloped_send)
                return
            if declared.isdigit() and int(declared) > self.max_body_bytes:
                refusal = problem_response(Request(scope), 413, _too_large(self.max_body_bytes))
                await refusal(scope, receive, enveloped_send)
                return
            try:
                await self.app(scope, self._counting(receive), enveloped_send)
            except Exception as error:
                if status is not None:
                    raise
                response = await unexpected_error(Request(scope), error)
                await response(scope, receive, enveloped_send)
        finally:
            self.metrics.in_flight.dec()
            self._record(scope, 500 if status is None else status, time.perf_counter() - started)
            if positions is not None and position is not None:
                positions.end(position)
            request_id.reset(token)

    def _counting(self, receive: Receive) -> Receive:
        """`receive`, refusing the body with a 413 as soon as it passes the limit."""
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise HTTPException(413, _too_large(self.max_body_bytes))
            return message

        return counting_receive

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("route")
        self.metrics.observe(
            method=scope["method"],
            route=getattr(route, "path", None) or "unmatched",
            status=status,
            seconds=seconds,
        )
        access_logger.log(
            logging.DEBUG if scope["path"] in QUIET_PATHS else logging.INFO,
            "%s %s %s",
            scope["method"],
            scope["path"],
            status,
            extra={
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
            },
        )
