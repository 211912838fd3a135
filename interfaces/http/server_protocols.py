"""uvicorn's two HTTP/1.1 protocols, with the limits `serve` promises before the app runs.

What uvicorn 0.54 leaves open, and what these subclasses close:

- **Heads that never end.** httptools (llhttp) buffers a request's line and
  headers without limit until they are complete; h11 stops at
  `h11_max_incomplete_event_size`, but uvicorn then answers a plain 400. Both
  protocols here refuse a head that passes the same number (`serve` sets it
  to MAX_HEADERS_BYTES + MAX_HEADER_BYTES: all the headers, and a request
  line as long as one) with a 431 problem and close the connection. A head
  that arrives whole is parsed and goes to the app, whose envelope answers
  its own 431 with the exact limit that was passed.
- **Connections that never speak.** uvicorn arms its keep-alive timer only
  after a response, so a client that connects and sends nothing holds its
  connection (and a place under the concurrency limit) for ever. Here the
  timer is armed when the connection is made, too.
- **Over the concurrency limit.** uvicorn's `limit_concurrency` answers a
  plain-text 503; here it is a 503 problem with `Retry-After`.
- **Nagle's delay on a socket handed over.** `serve` takes its port itself and
  gives uvicorn the descriptor (`fd=`), which uvicorn wraps as a Unix socket;
  asyncio then leaves Nagle's algorithm on for every connection, and each
  answer written in two pieces waits for the client's delayed ACK, about
  40 ms. TCP_NODELAY is set here as each connection is made.

Request heads that trickle in slowly are bounded in size, not in time: a
reverse proxy's header read timeout covers that (see docs/operations.md, Connections).
"""

import asyncio
import json
import socket
from http import HTTPStatus
from typing import Any, Final

from fastapi import Request
from uvicorn._types import ASGI3Application, ASGIReceiveCallable, ASGISendCallable, Scope
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from interfaces.http.headers import security_headers
from interfaces.http.problems import ABOUT_BLANK, PROBLEM_MEDIA_TYPE, problem_response

RETRY_AFTER_SECONDS: Final = 1
"""A connection frees its place as soon as its client is done: worth trying again soon."""

H11_DEFAULT_HEAD_LIMIT: Final = 16 * 1024
"""h11's own `max_incomplete_event_size`, which uvicorn keeps unless told otherwise."""


def head_limit(config: Config) -> int:
    """The bytes a request line and headers may take: uvicorn's h11 setting, for both parsers,
    so that `serve` gives the limit once."""
    configured = config.h11_max_incomplete_event_size
    return H11_DEFAULT_HEAD_LIMIT if configured is None else configured


def _head_too_large(limit: int, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    """A whole 431 response, for a head the parser refused before it was complete.

    It has no `instance`: the request's target may be the part that never ended.
    """
    status = HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
    body = json.dumps(
        {
            "type": ABOUT_BLANK,
            "title": status.phrase,
            "status": status.value,
            "detail": f"The request line and headers pass {limit} bytes",
        }
    ).encode()
    headers = [
        *default_headers,
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *(
            (name.encode(), value.encode())
            for name, value in security_headers("", behind_tls=False)
        ),
    ]
    lines = [f"HTTP/1.1 {status.value} {status.phrase}".encode()]
    lines += [name + b": " + value for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _within_limit(app: ASGI3Application, limit: int | None, state: ServerState) -> ASGI3Application:
    """`app`, answering a 503 problem while more than `limit` connections are open or
    requests in flight (this one included, as it is counted by the time it runs)."""
    if limit is None:
        return app

    async def limited(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        if len(state.connections) <= limit and len(state.tasks) <= limit:
            await app(scope, receive, send)
            return
        request = Request(scope)  # type: ignore[arg-type]
        busy = problem_response(
            request,
            503,
            f"The server is at its limit of {limit} connections; try again shortly",
            headers={
                "Retry-After": str(RETRY_AFTER_SECONDS),
                "Connection": "close",
                **dict(security_headers(request.url.path, behind_tls=False)),
            },
        )
        await busy(scope, receive, send)  # type: ignore[arg-type]

    return limited


def _adopt_limits(
    protocol: H11Protocol | HttpToolsProtocol, config: Config, server_state: ServerState
) -> int:
    """Move uvicorn's concurrency limit into the app's problem-answering wrapper; return the
    head limit. Both protocols call it at the end of their constructors."""
    protocol.app = _within_limit(protocol.app, protocol.limit_concurrency, server_state)
    protocol.limit_concurrency = None
    return head_limit(config)


def send_without_delay(transport: asyncio.BaseTransport) -> None:
    """Turn Nagle's algorithm off on a TCP connection; a Unix socket refuses, and keeps as is.

    Asked of the socket itself, not of its Python family: uvicorn labels a
    TCP socket handed over by descriptor AF_UNIX.
    """
    connection = transport.get_extra_info("socket")
    if connection is None:
        return
    try:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        return


def _arm_idle_timer(protocol: H11Protocol | HttpToolsProtocol) -> None:
    """Start the keep-alive timer as the connection opens, so a client that never sends a
    first request is closed too (uvicorn starts it only after a response)."""
    protocol.timeout_keep_alive_task = protocol.loop.call_later(
        protocol.timeout_keep_alive, protocol.timeout_keep_alive_handler
    )


class BoundedH11Protocol(H11Protocol):
    """h11, with the limits above."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.head_limit = _adopt_limits(self, config, server_state)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        send_without_delay(transport)
        super().connection_made(transport)
        _arm_idle_timer(self)

    def send_400_response(self, msg: str) -> None:
        """h11 refused the request; past the head limit, that was its 431 (its own hint)."""
        buffered, _ = self.conn.trailing_data
        if len(buffered) <= self.head_limit:
            super().send_400_response(msg)
            return
        self.transport.write(_head_too_large(self.head_limit, self.server_state.default_headers))
        self.transport.close()


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """httptools, with the limits above.

    llhttp does not say where in a read a message began, so the read in
    which a head begins is not counted, and every later read until the head
    is complete is: the most a head can hold in memory is the limit and two
    reads, and a head within the limit is never refused.
    """

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.head_limit = _adopt_limits(self, config, server_state)
        self.reads = 0
        self.head_began_in: int | None = None
        """The read in which the head being parsed began; None between heads."""
        self.head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        send_without_delay(transport)
        super().connection_made(transport)
        _arm_idle_timer(self)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.head_began_in = self.reads
        self.head_bytes = 0

    def on_headers_complete(self) -> None:
        self.head_began_in = None
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        self.reads += 1
        super().data_received(data)
        if self.head_began_in is None or self.head_began_in == self.reads:
            return
        self.head_bytes += len(data)
        if self.head_bytes > self.head_limit and not self.transport.is_closing():
            self.transport.write(
                _head_too_large(self.head_limit, self.server_state.default_headers)
            )
            self.transport.close()


PROTOCOLS: Final[dict[str, type[asyncio.Protocol]]] = {
    "h11": BoundedH11Protocol,
    "httptools": BoundedHttpToolsProtocol,
}
"""HTTP_PARSER's values and the protocol `serve` hands uvicorn for each."""
