"""The engines a process uses, one per database, with their pools built from settings."""

import select
from dataclasses import dataclass
from typing import Any, Final

from psycopg import AsyncConnection
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection, QueuePool

from infrastructure.observability.metrics import PoolStats
from infrastructure.persistence.gate import ConnectionGate
from infrastructure.settings import Settings

APPLICATION_NAME: Final = "users-posts-service"
"""How the service's connections show in `pg_stat_activity`."""


class DatabaseNotConfiguredError(RuntimeError):
    """The SQL adapter was asked for without a DATABASE_URL to connect to."""


def build_engine(settings: Settings) -> AsyncEngine:
    """The engine on the primary database: every write, and the reads that must be current."""
    if settings.database_url is None:
        raise DatabaseNotConfiguredError(
            "DATABASE_URL is not set; `python -m interfaces serve` starts an embedded "
            "PostgreSQL when it is missing, or set REPOSITORY=memory to run without one"
        )
    return _engine(settings.database_url, settings)


@dataclass(frozen=True, slots=True)
class Replica:
    """The replica's engine and gate, both None when reads all go to the primary.

    One value that always exists, so that the container builds it once:
    dependency-injector's Singleton caches no None, and built again on every
    request the check of "no replica" cost more than the rest of a service.
    """

    engine: AsyncEngine | None
    gate: ConnectionGate | None


def build_replica(settings: Settings) -> Replica:
    """The engine on DATABASE_REPLICA_URL and its own queue, if that is set."""
    if settings.database_replica_url is None:
        return Replica(engine=None, gate=None)
    return Replica(
        engine=_engine(settings.database_replica_url, settings), gate=build_gate(settings)
    )


def _engine(url: str, settings: Settings) -> AsyncEngine:
    connect_args: dict[str, Any] = {
        "connect_timeout": settings.db_connect_timeout,
        "application_name": APPLICATION_NAME,
    }
    if not settings.db_prepared_statements:
        # psycopg prepares a query, under a name, on its sixth run on a connection.
        # Behind a transaction pooler the next run may reach a server connection
        # that never saw that name ("prepared statement _pg3_0 does not exist").
        # None keeps every query on unnamed statements, which any pooler passes on.
        connect_args["prepare_threshold"] = None
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_recycle=settings.db_pool_recycle,
        # DB_POOL_PRE_PING is served by the check below, not by SQLAlchemy's SELECT 1.
        pool_pre_ping=False,
        echo=settings.db_echo,
        connect_args=connect_args,
    )
    if settings.db_pool_pre_ping:
        event.listen(engine.sync_engine, "checkout", refuse_closed_connection)
    if settings.db_statement_timeout > 0:
        bound_every_statement(engine, seconds=settings.db_statement_timeout)
    return engine


def bound_every_statement(engine: AsyncEngine, *, seconds: float) -> None:
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
    milliseconds = str(max(1, round(seconds * 1000)))

    async def apply(connection: AsyncConnection[Any]) -> None:
        await connection.execute(
            "SELECT set_config('statement_timeout', %s, false)", [milliseconds]
        )
        await connection.commit()

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.run_async(apply)


def refuse_closed_connection(
    dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
) -> None:
    """Replace a pooled connection that the server has closed, without a round trip.

    SQLAlchemy's pre-ping sends `SELECT 1` on every checkout: a second round
    trip for a one-statement read, about a fifth of what GET /users/{id}
    cost. A connection idle in the pool has nothing to hear from the server,
    so looking at its socket is enough: when PostgreSQL stops or restarts, or
    a backend is terminated, it sends its FATAL notice and closes the
    socket, which then polls readable. Such a connection is dropped and the
    pool opens a new one for this checkout; the request never sees it.

    What a local look cannot see, and a SELECT 1 would, is a connection
    whose peer vanished without a word (a host powered off, a firewall that
    dropped the flow). The first statement on it then fails, the request gets
    the usual 503, and SQLAlchemy invalidates the pool for the next ones.
    Anything else the server says to an idle connection (a notice, a changed
    parameter) costs one needless reconnect.
    """
    connection = dbapi_connection.driver_connection
    if connection.closed:
        raise DisconnectionError("the connection was closed")
    poller = select.poll()
    poller.register(connection.fileno(), select.POLLIN)
    if poller.poll(0):
        raise DisconnectionError("the server spoke to an idle connection: it is closing it")


def build_gate(settings: Settings) -> ConnectionGate:
    """The queue in front of an engine's pool: as many places as the pool has connections."""
    return ConnectionGate(
        settings.db_pool_size + settings.db_max_overflow, timeout=settings.db_pool_timeout
    )


def pool_stats(engine: AsyncEngine) -> PoolStats | None:
    """What the pool holds now; None for a pool that does not count (NullPool)."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return None
    return PoolStats(
        size=pool.size(), checked_out=pool.checkedout(), overflow=max(pool.overflow(), 0)
    )
