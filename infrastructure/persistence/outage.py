"""One WARNING when a database goes out of reach, with the cause, and one line when it is back.

A server that is down fails every request with a 503, and psycopg_pool
logs each failed connection attempt on its own (dozens at start-up, then
one or two a request). An operator needs one line saying why, at the
moment it started, and one saying it is over: `OutageLog` keeps that
state for one pool, and `quiet_connection_attempts` takes psycopg_pool's
per-attempt lines out of the log, as the OutageLog now says it once.
"""

import logging
from typing import Final

import psycopg
from psycopg.conninfo import conninfo_to_dict

logger = logging.getLogger(__name__)

_POOL_LOGGER: Final = "psycopg.pool"
_PER_ATTEMPT_MESSAGES: Final = frozenset(
    {
        # psycopg_pool's `_add_connection`, on every failed attempt and on giving up.
        "error connecting in %r: %s",
        "reconnection attempt in pool %r failed after %s sec",
    }
)


def password_in(conninfo: str) -> str | None:
    """The password in a libpq URL, to keep out of the log; a URL it cannot parse fails later."""
    try:
        password = conninfo_to_dict(conninfo).get("password")
    except psycopg.ProgrammingError:
        return None
    return None if password is None else str(password)


def first_line(error: BaseException, *, secret: str | None = None) -> str:
    """What an error says on its first line (libpq adds hints below it), without `secret`."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text.replace(secret, "***") if secret else text


REFUSED: Final = "requests that need it get 503 until it is back"
SKIPPED: Final = "reads that may lag go to the primary until it is back"
"""What an outage means to clients: the primary's, and a read replica's."""


class OutageLog:
    """Whether one pool's database is known to be out of reach, and why, logged on change.

    `unreachable` logs a WARNING the first time only, until `reachable`
    (a connection opened, a block succeeded) logs that it is back; in
    between every failure is silent, however many requests fail.
    """

    __slots__ = ("_cause", "_consequence", "_name", "_secret")

    def __init__(self, name: str, *, secret: str | None = None, consequence: str = REFUSED) -> None:
        self._name = name
        self._secret = secret
        self._consequence = consequence
        self._cause: str | None = None

    @property
    def cause(self) -> str | None:
        """Why the database is out of reach, or None while it is not known to be."""
        return self._cause

    def describe(self, error: BaseException) -> str:
        """The error's first line, without the password of this pool's URL."""
        return first_line(error, secret=self._secret)

    def unreachable(self, error: BaseException) -> None:
        if self._cause is not None:
            return
        self._cause = self.describe(error)
        logger.warning(
            "the database %r is unreachable: %s; %s", self._name, self._cause, self._consequence
        )

    def reachable(self) -> None:
        if self._cause is None:
            return
        self._cause = None
        logger.warning("the database %r is reachable again", self._name)


class _PerAttemptFilter(logging.Filter):
    """Drops psycopg_pool's line per failed connection attempt; keeps its other lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg not in _PER_ATTEMPT_MESSAGES


_PER_ATTEMPT_FILTER: Final = _PerAttemptFilter()


def quiet_connection_attempts() -> None:
    """Install the filter on psycopg_pool's logger (once, however often it is called)."""
    logging.getLogger(_POOL_LOGGER).addFilter(_PER_ATTEMPT_FILTER)
