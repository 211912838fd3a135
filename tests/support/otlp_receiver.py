"""A collector's OTLP/HTTP traces endpoint on the loopback, for tests that export for real.

`POST /v1/traces` with a protobuf `ExportTraceServiceRequest`, decoded by the
official `opentelemetry-proto` package, as a collector does; the answer is
an empty `ExportTraceServiceResponse`, a collector's "all accepted".
"""

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Final

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

TRACES_PATH: Final = "/v1/traces"


@dataclass(frozen=True)
class ReceivedSpan:
    """A span as the collector got it, with its resource's service name."""

    service: str
    span: Span

    @property
    def attributes(self) -> dict[str, str]:
        return _values(self.span.attributes)


def _values(attributes: Iterable[KeyValue]) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in attributes:
        value = item.value
        kind = value.WhichOneof("value")
        found[item.key] = "" if kind is None else str(getattr(value, kind))
    return found


class OtlpReceiver:
    """What a collector was sent, request by request, and what it refused (none)."""

    def __init__(self, port: int) -> None:
        self.url: Final = f"http://127.0.0.1:{port}"
        self.holding: Final = threading.Event()
        """Set while an export waits for the `hold` of `otlp_receiver`."""
        self.paths: list[str] = []
        self.content_types: list[str] = []
        self._requests: list[ExportTraceServiceRequest] = []
        self._lock = threading.Lock()

    def record(self, path: str, content_type: str, body: bytes) -> None:
        message = ExportTraceServiceRequest()
        message.ParseFromString(body)
        with self._lock:
            self.paths.append(path)
            self.content_types.append(content_type)
            self._requests.append(message)

    def spans(self) -> list[ReceivedSpan]:
        with self._lock:
            requests = list(self._requests)
        return [
            ReceivedSpan(_values(resource.resource.attributes).get("service.name", ""), span)
            for request in requests
            for resource in request.resource_spans
            for scope in resource.scope_spans
            for span in scope.spans
        ]

    def wait_for_spans(self, count: int, timeout: float = 15.0) -> list[ReceivedSpan]:
        """The spans received once there are `count` of them, or what came within `timeout`."""
        deadline = time.monotonic() + timeout
        while len(spans := self.spans()) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return spans


@contextmanager
def otlp_receiver(hold: threading.Event | None = None) -> Iterator[OtlpReceiver]:
    """A receiver on a free loopback port for the length of the block.

    With `hold`, each export is read and then left unanswered until `hold`
    is set: a collector that hangs.
    """
    holder: list[OtlpReceiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            holder[0].record(self.path, self.headers.get("Content-Type", ""), body)
            if hold is not None:
                holder[0].holding.set()
                hold.wait(timeout=30)
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the tests read what was received, not an access log on stderr."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(OtlpReceiver(server.server_address[1]))
    thread = threading.Thread(target=server.serve_forever, name="otlp-receiver", daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
