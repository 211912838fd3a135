"""How large a request's headers may be: one at a time, and all of them together.

Checked on the headers the server parsed, before any route runs, so no
parser, dependency or handler ever reads a header larger than this (the
entity-tag lists of `If-Match` and `If-None-Match` among them). A header's
size is what it takes on the wire: its name, `: `, its value and the line
break, so a flood of tiny headers counts too.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

_LINE_OVERHEAD: Final = len(b": \r\n")
_NAMED_UP_TO: Final = 64
"""A header name longer than this is left out of the refusal: it may be the attack."""


@dataclass(frozen=True, slots=True)
class HeaderLimits:
    """MAX_HEADER_BYTES and MAX_HEADERS_BYTES."""

    one: int
    all: int

    def excess(self, headers: Iterable[tuple[bytes, bytes]]) -> str | None:
        """Why these headers are refused (the detail of a 431), or None when they fit."""
        total = 0
        for name, value in headers:
            size = len(name) + len(value) + _LINE_OVERHEAD
            if size > self.one:
                named = f" {name.decode('latin-1')}" if len(name) <= _NAMED_UP_TO else ""
                return f"The header{named} is {size} bytes; the limit is {self.one} per header"
            total += size
        if total > self.all:
            return f"The headers are {total} bytes together; the limit is {self.all}"
        return None
