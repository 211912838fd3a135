"""Read-your-writes: the WAL position of a caller's last write, carried by the caller.

A caller who writes gets back, in a cookie, the primary's WAL position just
after its commit; on its next requests a read that may lag goes to the read
replica only once the replica has replayed that far (see `ReadRouting`).
The position travels with the caller rather than living in a process, so it
holds whichever instance behind the load balancer serves the next request,
and costs no shared store.

The cookie lives REPLICA_MAX_LAG_SECONDS (rounded up, plus one): past that,
a replica still in use has replayed the write anyway, as one further behind
is not used at all. A caller that drops cookies reads like an anonymous one,
at most REPLICA_MAX_LAG_SECONDS behind. A forged position can only send its
own sender's reads to the primary, which writing does too.
"""

import math
from contextvars import ContextVar, Token
from typing import Final

from infrastructure.persistence import wal

COOKIE: Final = "written_lsn"


class CallerPosition:
    """What one request knows: the position its caller last wrote at, and any it writes now."""

    __slots__ = ("seen", "written")

    def __init__(self, seen: int | None) -> None:
        self.seen = seen
        self.written: int | None = None

    @property
    def needed(self) -> int | None:
        """How far a replica must have replayed to serve this caller."""
        if self.written is None:
            return self.seen
        return self.written if self.seen is None else max(self.seen, self.written)


_current: ContextVar[CallerPosition | None] = ContextVar("caller_position", default=None)


def current() -> CallerPosition | None:
    """The request's position, or None outside a request (the command line, a test's own block)."""
    return _current.get()


class ReadYourWrites:
    """The cookie's side, for the HTTP layer: open a request's position, and say what to send back.

    The request's `CallerPosition` is one mutable object set once per
    request, so a commit anywhere in the request's task (or a copy of its
    context) reaches it.
    """

    cookie: Final = COOKIE

    def __init__(self, *, max_lag_seconds: float, secure: bool) -> None:
        self._max_age = math.ceil(max_lag_seconds) + 1
        self._attributes = f"Max-Age={self._max_age}; Path=/; HttpOnly; SameSite=Lax" + (
            "; Secure" if secure else ""
        )

    def begin(self, cookie: str | None) -> Token[CallerPosition | None]:
        seen = None if cookie is None else wal.parse(cookie)
        return _current.set(CallerPosition(seen))

    def end(self, token: Token[CallerPosition | None]) -> None:
        _current.reset(token)

    def set_cookie(self) -> str | None:
        """The `Set-Cookie` value when this request wrote, else None (the caller's stays)."""
        position = _current.get()
        if position is None or position.written is None:
            return None
        return f"{COOKIE}={wal.format_position(position.needed or 0)}; {self._attributes}"
