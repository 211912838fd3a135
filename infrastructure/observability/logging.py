"""Logging for the whole process: readable lines for a terminal, or one JSON object per line.

Both formats carry the request id of the request being served, whichever
logger wrote the line (SQLAlchemy's, uvicorn's, ours), through a filter and
a context variable rather than through every call site; with traces on, a
second filter adds the trace and span ids (`trace_id`, `span_id`) the same way.

Both keep one record on one line, whatever a client puts in what gets
logged (a path with `%0a` in it, say): JSON escapes control characters by
itself, and the console format escapes them in everything it prints, so a
client can neither start a line that looks like a record of ours nor send
a terminal escape sequence to whoever reads the log.
"""

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Final, Literal

from opentelemetry import trace

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id of the request this task serves, or None outside any request."""

_STANDARD_ATTRIBUTES: Final = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__
) | {"message", "asctime", "request_id", "color_message"}


_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
"""C0, DEL and C1 controls, and Unicode's line and paragraph separators: everything a
terminal or `str.splitlines` may take for a line break or a command."""
_CONTROL_BUT_LINE_FEED: Final = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    character = match.group()
    return _NAMED.get(character) or f"\\u{ord(character):04x}"


def escape_controls(text: str) -> str:
    """`text` with every control character written out (`\\n`, `\\u001b`): one line, inert."""
    return _CONTROL.sub(_escaped, text)


class RequestIdFilter(logging.Filter):
    """Stamps every record with the current request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class TraceIdFilter(logging.Filter):
    """Stamps every record written inside a span with its trace and span ids, in hex.

    Installed only with traces on; the formatters show them as they show any `extra`.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = trace.format_trace_id(context.trace_id)
            record.span_id = trace.format_span_id(context.span_id)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any `extra`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if getattr(record, "request_id", None):
            entry["request_id"] = getattr(record, "request_id", None)
        entry.update(
            {
                key: value
                for key, value in record.__dict__.items()
                if key not in _STANDARD_ATTRIBUTES
            }
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class ConsoleFormatter(logging.Formatter):
    """`time level logger [request id] message key=value...`, for a person at a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(request)s%(message)s%(extra)s")

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None)
        record.request = f"[{rid}] " if rid else ""
        extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRIBUTES}
        extras.pop("request", None)
        extras.pop("extra", None)
        record.extra = "".join(f" {key}={value}" for key, value in extras.items())
        return super().format(record)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        # The whole line at once: message, extras, request id, logger name.
        return escape_controls(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        # A traceback is ours and spans lines; only its other controls are escaped.
        return _CONTROL_BUT_LINE_FEED.sub(_escaped, super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 - logging's name
        return _CONTROL_BUT_LINE_FEED.sub(_escaped, super().formatStack(stack_info))


def logging_config(
    *, log_format: Literal["console", "json"], level: str, traces: bool = False
) -> dict[str, Any]:
    """A `logging.config.dictConfig` that sends every logger through one handler on the root.

    uvicorn applies it in each worker process it starts, so the service and
    uvicorn's own loggers write in the same format. `traces`: the lines carry
    trace ids too.
    """
    formatter = JsonFormatter if log_format == "json" else ConsoleFormatter
    filters: dict[str, Any] = {"request_id": {"()": RequestIdFilter}}
    if traces:
        filters["trace_id"] = {"()": TraceIdFilter}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": filters,
        "formatters": {"default": {"()": formatter}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": list(filters),
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            name: {"handlers": [], "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
