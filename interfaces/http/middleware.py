"""ASGI middleware: the request body limit, and the last net for unexpected errors.

Plain ASGI rather than BaseHTTPMiddleware, so that bodies stream through
untouched and nothing is buffered.
"""

import logging
import re
import time
import uuid
from typing import Final

from fastapi import Request
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infrastructure.observability.logging import request_id
from infrastructure.observability.metrics import Metrics
from interfaces.http.errors import unexpected_error
from interfaces.http.problems import problem_response

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("interfaces.http.access")

_REQUEST_ID: Final = re.compile(r"[A-Za-z0-9._-]{1,128}")
QUIET_PATHS: Final = frozenset({"/health/live", "/health/ready", "/metrics"})
"""Probed every few seconds; logged at DEBUG so they do not drown the access log."""

MAX_BODY_BYTES: Final = 1024 * 1024


def _too_large(limit: int) -> str:
    return f"The request body is larger than the limit of {limit} bytes"


class BodySizeLimitMiddleware:
    """Refuse bodies over `max_bytes` with a 413 problem, without reading them whole.

    A declared Content-Length over the limit is refused before routing, so
    nothing of the body is read. A body without one (chunked) is counted as
    it streams in, and refused as soon as it passes the limit.

    FastAPI's own `max_body_size` answers some of these cases in plain text;
    this keeps every error a problem document.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Request(scope).headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = problem_response(Request(scope), 413, _too_large(self.max_bytes))
            await response(scope, receive, send)
            return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, _too_large(self.max_bytes))
            return message

        await self.app(scope, counting_receive, send)


class UnexpectedErrorMiddleware:
    """Turn an exception nothing else handled into a 500 problem, logged with its traceback.

    Starlette's own last-resort handler also answers, but then raises the
    exception again to the server, which logs it a second time.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            if started:
                # Too late for a clean answer: let the server cut the response.
                raise
            response = await unexpected_error(Request(scope), error)
            await response(scope, receive, send)


class RequestContextMiddleware:
    """Give each request an id, return it, stamp it on every log line, and log the request.

    The id comes from `X-Request-ID` when it is short and plain (so a proxy's
    or a client's id follows the request through), else a new one is made.
    The access line carries method, path, status and duration, never headers,
    query strings or bodies: nothing secret can reach the log from here.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Request(scope).headers.get("x-request-id", "")
        rid = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
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
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id.reset(token)


class MetricsMiddleware:
    """Count and time each request under its route template, so ids never become labels."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, recording_send)
        finally:
            self.metrics.in_flight.dec()
            route = scope.get("route")
            self.metrics.observe(
                method=scope["method"],
                route=getattr(route, "path", None) or "unmatched",
                status=status,
                seconds=time.perf_counter() - started,
            )
