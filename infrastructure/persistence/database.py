"""The connection pools a process uses, one per database, built from settings.

Each is psycopg's own `AsyncConnectionPool`: it hands connections to
waiters in the order they asked (no request starves under more load than
connections), checks a connection before lending it, configures new ones,
retires old ones and counts what it does, so none of that is written here.
"""

import logging
import select
from collections.abc import Awaitable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Self

import psycopg
from psycopg import AsyncCursor
from psycopg.abc import Params
from psycopg_pool import AsyncConnectionPool

from infrastructure.observability.metrics import PoolStats
from infrastructure.persistence.outage import (
    REFUSED,
    SKIPPED,
    OutageLog,
    password_in,
    quiet_connection_attempts,
)
from infrastructure.persistence.statements import Connection
from infrastructure.settings import Settings

if TYPE_CHECKING:
    # Types only: the module imports the SDK and the instrumentations, which a
    # process with traces off never loads.
    from infrastructure.observability.tracing import StatementTracing, Tracing

APPLICATION_NAME: Final = "users-posts-service"
"""How the service's connections show in `pg_stat_activity`."""

logger = logging.getLogger(__name__)


class EchoingCursor(AsyncCursor[Any]):
    """A cursor that logs each statement it sends (DB_ECHO), without its values.

    The values stay out of the log: they carry password hashes and emails.
    """

    async def execute(
        self,
        query: Any,  # psycopg's Query, which its own overloads narrow
        params: Params | None = None,
        *,
        prepare: bool | None = None,
        binary: bool | None = None,
    ) -> Self:
        logger.info("SQL: %s", query if isinstance(query, str) else repr(query))
        return await super().execute(query, params, prepare=prepare, binary=binary)


class DatabaseNotConfiguredError(RuntimeError):
    """The PostgreSQL adapter was asked for without a DATABASE_URL to connect to."""


def conninfo(url: str) -> str:
    """The settings' URL (SQLAlchemy's, for Alembic) as libpq takes it: without the driver."""
    scheme, separator, rest = url.partition("://")
    return f"{scheme.split('+')[0]}{separator}{rest}"


class Database:
    """One PostgreSQL server's pool, closed until `open()`.

    Built closed so that building the container never touches the network
    (psycopg_pool warns about pools opened in their constructor, too) and the
    service starts while PostgreSQL is down: until the pool is open, and
    while it cannot connect, asking it for a connection fails as
    StorageUnavailableError (a 503) in the unit of work.

    How the settings map onto the pool:
    - DB_POOL_SIZE is `min_size`, the connections kept open; DB_POOL_SIZE +
      DB_MAX_OVERFLOW is `max_size`. Connections past `min_size` close after
      ten idle minutes (`max_idle`), not as soon as they come back.
    - DB_POOL_TIMEOUT is `timeout`: how long a request waits in line for a
      connection before psycopg_pool's PoolTimeout, a 503.
      While the OutageLog knows the database to be out of reach, a request
      waits DB_OUTAGE_TIMEOUT at most instead (see `getconn`).
    - DB_POOL_RECYCLE is `max_lifetime` (-1: never).
    - DB_POOL_PRE_PING is `check=`: a look at the socket before lending a
      connection, and psycopg_pool's `check_connection` only when the server
      has spoken to it (see `_check`).
    - DB_STATEMENT_TIMEOUT is set by `configure=` on each new connection
      (see `_configure`); DB_CONNECT_TIMEOUT, DB_PREPARED_STATEMENTS and
      DB_ECHO (a cursor that logs) are connection parameters.

    `reconnect_timeout` is 0: a connection that cannot be opened is given up
    after one retry, and the pool opens one again when a request asks for
    it. With psycopg_pool's default (five minutes of retries, the delays
    doubling) the retries outlive a short outage: after a restart the
    service would keep answering 503 until the next retry came round.
    """

    def __init__(
        self,
        url: str,
        settings: Settings,
        *,
        name: str,
        when_unreachable: str = REFUSED,
        tracing: "Tracing | None" = None,
    ) -> None:
        kwargs: dict[str, Any] = {
            # Reads run in autocommit, each statement alone; a write block turns it off for
            # its transaction and back on when it ends.
            "autocommit": True,
            "connect_timeout": settings.db_connect_timeout,
            # A connection parameter, not a SET: seen in pg_stat_activity from the first
            # moment, at no round trip, and passed on by PgBouncer.
            "application_name": APPLICATION_NAME,
        }
        if settings.db_echo:
            kwargs["cursor_factory"] = EchoingCursor
        if not settings.db_prepared_statements:
            # psycopg prepares a query, under a name, on its sixth run on a connection.
            # Behind a transaction pooler the next run may reach a server connection
            # that never saw that name ("prepared statement _pg3_0 does not exist").
            # None keeps every query on unnamed statements, which any pooler passes on.
            kwargs["prepare_threshold"] = None
        self._statement_timeout_ms = (
            str(max(1, round(settings.db_statement_timeout * 1000)))
            if settings.db_statement_timeout > 0
            else None
        )
        recycle = settings.db_pool_recycle
        self._conninfo = conninfo(url)
        self._kwargs = kwargs
        self._settings = settings
        self._name = name
        self._max_lifetime = float("inf") if recycle < 0 else float(recycle)
        self._outage_wait = min(settings.db_outage_timeout, settings.db_pool_timeout)
        self._opened = False
        self.outage: Final = OutageLog(
            name, secret=password_in(self._conninfo), consequence=when_unreachable
        )
        self._tracing = tracing
        self._connection_class = _reporting_to(
            self.outage, None if tracing is None else tracing.statements()
        )
        quiet_connection_attempts()
        self.pool = self._new_pool()

    def _new_pool(self) -> AsyncConnectionPool[Connection]:
        settings = self._settings
        return AsyncConnectionPool(
            self._conninfo,
            kwargs=self._kwargs,
            connection_class=self._connection_class,
            min_size=settings.db_pool_size,
            max_size=settings.db_pool_size + settings.db_max_overflow,
            open=False,
            configure=self._configure if self._statement_timeout_ms is not None else None,
            check=self._check if settings.db_pool_pre_ping else None,
            name=self._name,
            timeout=settings.db_pool_timeout,
            max_lifetime=self._max_lifetime,
            reconnect_timeout=0,
        )

    async def open(self) -> None:
        """Start filling the pool in the background; return at once, whether or not it can.

        Not `wait=True`: a server down at start-up must not stop the service
        from starting and answering 503s until it is back. Opened again after
        `close()` (an ASGI server may run an app's lifespan more than once), it
        starts a new pool, as a psycopg_pool pool cannot be reopened.
        """
        if self._opened and self.pool.closed:
            self.pool = self._new_pool()
        self._opened = True
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close()

    def getconn(self, wait: float | None = None) -> Awaitable[Connection]:
        """A connection from the pool, waiting in line for one (at most `wait` seconds, else
        the pool's own timeout); the wait is a span when traces are on.

        While the database is known to be out of reach, a request that finds no free
        connection waits DB_OUTAGE_TIMEOUT at most: the pool's timeout bounds a wait for
        a busy connection, which comes back in moments, and a client held for it through
        an outage only holds its socket and its server's memory for the same 503. The pool
        goes on opening connections meanwhile; the first that opens ends the outage.
        """
        if self.outage.cause is not None:
            wait = self._outage_wait if wait is None else min(wait, self._outage_wait)
        if self._tracing is None:
            return self.pool.getconn(wait)
        return self._traced_getconn(self._tracing, wait)

    async def _traced_getconn(self, tracing: "Tracing", wait: float | None) -> Connection:
        async with tracing.waiting_for_connection(self._name):
            return await self.pool.getconn(wait)

    def stats(self) -> PoolStats:
        """What the pool holds now, from psycopg_pool's `get_stats()`."""
        stats = self.pool.get_stats()
        size, available = stats["pool_size"], stats["pool_available"]
        return PoolStats(
            size=size,
            checked_out=max(size - available, 0),
            overflow=max(size - stats["pool_min"], 0),
        )

    async def _configure(self, connection: Connection) -> None:
        """Give each new connection a `statement_timeout`, so that no query runs unbounded.

        A statement past it is cancelled by PostgreSQL itself (QueryCanceled,
        which the unit of work answers as StorageTimeoutError, a 503); time
        spent waiting for a lock counts, so a lock held too long ends the same
        way. No separate, shorter `lock_timeout`: parallel edits of one row wait
        on each other's row locks as a matter of course, and should not fail
        sooner than any other slow statement.

        Why a session-level SET when the connection opens, of the ways to apply it:
        - It costs one round trip per new connection and none per request, and
          it covers the autocommit reads too, which a `SET LOCAL` at the start of
          each transaction (a round trip on every write) would miss.
        - libpq's `options=-c statement_timeout=...` startup parameter costs
          nothing at all, but PgBouncer refuses the connection over it (Debian
          12's 1.18: "unsupported startup parameter"; 1.20 and later parse
          `options` yet accept only the parameters they track), or drops it
          silently when it is listed in `ignore_startup_parameters`.
        - Behind PgBouncer in transaction pooling mode this SET goes to whichever
          server connection serves that moment, so it does not follow our
          client (it does no harm either: every server connection it reaches
          gets the same value). There the timeout belongs on the server
          connections themselves: `ALTER ROLE <role> SET statement_timeout =
          '5s'`, or PgBouncer's `connect_query`. Both hold in transaction mode,
          and the cancellation still reaches the service as QueryCanceled, a 503.
        """
        # Traces off, the connection's statements make no spans to suppress.
        with nullcontext() if self._tracing is None else self._tracing.untraced():
            await connection.execute(
                "SELECT set_config('statement_timeout', %s, false)", [self._statement_timeout_ms]
            )

    async def _check(self, connection: Connection) -> None:
        """Refuse a connection the server has closed; the first one found renews the pool.

        psycopg_pool's own `check_connection` sends an empty query: a second
        round trip for a one-statement read. A connection idle in the pool has
        nothing to hear from the server, so its socket is looked at first: when
        PostgreSQL stops or restarts, or a backend is terminated, the server
        sends its FATAL notice and closes the socket, which then polls
        readable. Only then is the round trip paid, to tell a closing server
        from a notice (which costs nothing more than that query). What a look
        at the socket cannot see, a peer that vanished without a word, fails
        the first statement instead: that request's 503.

        The server closing one idle connection mostly means it closed them all
        (a restart, a failover, a PgBouncer reload): `drain()` replaces every
        connection opened before now (the idle ones at once, those in use when
        they come back) instead of letting each request find the next dead one,
        with psycopg_pool's growing pause between two failed checks.
        """
        if not connection.closed and not connection.broken and not _has_spoken(connection):
            return
        try:
            await AsyncConnectionPool.check_connection(connection)
        except psycopg.Error:
            logger.warning("a pooled connection was closed by the server: renewing the pool")
            await self.pool.drain()
            raise


def _reporting_to(outage: OutageLog, statements: "StatementTracing | None") -> type[Connection]:
    """A connection class whose every attempt to connect tells `outage` how it went.

    The pool opens connections in its background workers, so a request that
    times out waiting in line never sees why; the attempt itself does. With
    `statements`, the connection's cursors are traced.
    """

    class ReportingConnection(Connection):
        @classmethod
        async def connect(cls, conninfo: str = "", **kwargs: Any) -> Self:
            try:
                if statements is None:
                    connection = await super().connect(conninfo, **kwargs)
                else:
                    connection = await statements.connect(super().connect, conninfo, kwargs)
            except psycopg.OperationalError as error:
                outage.unreachable(error)
                raise
            outage.reachable()
            return connection

    return ReportingConnection


def _has_spoken(connection: Connection) -> bool:
    """Whether the server sent an idle connection anything: mostly, that it is closing it."""
    poller = select.poll()
    poller.register(connection.fileno(), select.POLLIN)
    return bool(poller.poll(0))


@dataclass(frozen=True, slots=True)
class Databases:
    """The primary's pool and, when DATABASE_REPLICA_URL is set, the read replica's.

    One value that always exists, so that the container builds it once:
    dependency-injector's Singleton caches no None.
    """

    primary: Database
    replica: Database | None = None

    async def open(self) -> None:
        await self.primary.open()
        if self.replica is not None:
            await self.replica.open()

    async def close(self) -> None:
        if self.replica is not None:
            await self.replica.close()
        await self.primary.close()


def build_databases(settings: Settings, tracing: "Tracing | None" = None) -> Databases:
    """The pools on DATABASE_URL and DATABASE_REPLICA_URL, closed until opened."""
    if settings.database_url is None:
        raise DatabaseNotConfiguredError(
            "DATABASE_URL is not set; `python -m interfaces serve` starts an embedded "
            "PostgreSQL when it is missing, or set REPOSITORY=memory to run without one"
        )
    replica_url = settings.database_replica_url
    return Databases(
        primary=Database(settings.database_url, settings, name="primary", tracing=tracing),
        replica=None
        if replica_url is None
        else Database(
            replica_url, settings, name="replica", when_unreachable=SKIPPED, tracing=tracing
        ),
    )
