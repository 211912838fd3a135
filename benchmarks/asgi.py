"""The server's side of ASGI, in process: how `benchmarks.inprocess` calls an app.

The scope and the messages are shaped as uvicorn 0.54's httptools protocol
shapes them (`scope["state"]` copied from the lifespan's, `http.disconnect`
once the response is complete), so the app takes the paths it takes under
`serve`; what is left out is the socket and the HTTP parsing.
"""

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Final

Message = MutableMapping[str, Any]
Scope = dict[str, Any]
App = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]

SERVER: Final = ("127.0.0.1", 8000)
CLIENT: Final = ("127.0.0.1", 50_000)
_ASGI: Final = {"version": "3.0", "spec_version": "2.3"}


class LifespanError(RuntimeError):
    """The app refused to start or to stop."""


@dataclass(frozen=True, slots=True)
class Request:
    """One request as a client sends it: built once, sent many times."""

    method: str
    target: str
    """The path with its query, as on the request line."""
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes = b""

    def scope(self, state: dict[str, Any]) -> Scope:
        path, _, query = self.target.partition("?")
        headers = [(b"host", f"{SERVER[0]}:{SERVER[1]}".encode()), *self.headers]
        if self.body:
            headers.append((b"content-length", str(len(self.body)).encode()))
        return {
            "type": "http",
            "asgi": _ASGI,
            "http_version": "1.1",
            "server": SERVER,
            "client": CLIENT,
            "scheme": "http",
            "method": self.method,
            "root_path": "",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "headers": headers,
            "state": state.copy(),
        }


@dataclass(slots=True)
class Response:
    status: int = 0
    body: bytearray = field(default_factory=bytearray)


async def call(app: App, request: Request, state: dict[str, Any]) -> Response:
    """Send `request` to `app` and collect its answer, as a connection would."""
    response = Response()
    complete = asyncio.Event()
    body_sent = False

    async def receive() -> Message:
        nonlocal body_sent
        if body_sent:
            # Starlette listens for a disconnect while it streams; like uvicorn, answer one
            # once the response is complete, and until then wait, as for a client that stays.
            await complete.wait()
            return {"type": "http.disconnect"}
        body_sent = True
        return {"type": "http.request", "body": request.body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            response.status = message["status"]
        elif message["type"] == "http.response.body":
            response.body += message.get("body", b"")
            if not message.get("more_body", False):
                complete.set()

    await app(request.scope(state), receive, send)
    complete.set()
    return response


class Lifespan:
    """The app's lifespan run through ASGI's lifespan protocol, as a server runs it."""

    def __init__(self, app: App) -> None:
        self._app = app
        self.state: dict[str, Any] = {}
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Future[None] | None = None

    async def __aenter__(self) -> "Lifespan":
        scope = {"type": "lifespan", "asgi": _ASGI, "state": self.state}
        self._task = asyncio.ensure_future(self._app(scope, self._to_app.get, self._from_app.put))
        await self._step(self._task, "lifespan.startup")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._task is not None:
            await self._step(self._task, "lifespan.shutdown")
            await self._task

    async def _step(self, task: "asyncio.Future[None]", event: str) -> None:
        """Send `event` and wait for its answer, or for the app to end without one."""
        await self._to_app.put({"type": event})
        answer = asyncio.create_task(self._from_app.get())
        either: set[asyncio.Future[Any]] = {answer, task}
        done, _ = await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        if answer not in done:
            answer.cancel()
            task.result()
            raise LifespanError(f"the app returned from its lifespan before {event} completed")
        message = answer.result()
        if message["type"] != f"{event}.complete":
            raise LifespanError(f"{event}: {message.get('message') or message['type']}")
