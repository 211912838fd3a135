"""The one engine a process uses, with its pool built from settings."""

import select
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection, QueuePool

from infrastructure.observability.metrics import PoolStats
from infrastructure.persistence.gate import ConnectionGate
from infrastructure.settings import Settings


class DatabaseNotConfiguredError(RuntimeError):
    """The SQL adapter was asked for without a DATABASE_URL to connect to."""


def build_engine(settings: Settings) -> AsyncEngine:
    if settings.database_url is None:
        raise DatabaseNotConfiguredError(
            "DATABASE_URL is not set; `python -m interfaces serve` starts an embedded "
            "PostgreSQL when it is missing, or set REPOSITORY=memory to run without one"
        )
    engine = create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_recycle=settings.db_pool_recycle,
        # DB_POOL_PRE_PING is served by the check below, not by SQLAlchemy's SELECT 1.
        pool_pre_ping=False,
        echo=settings.db_echo,
        connect_args={
            "connect_timeout": settings.db_connect_timeout,
            "application_name": "users-posts-service",
        },
    )
    if settings.db_pool_pre_ping:
        event.listen(engine.sync_engine, "checkout", refuse_closed_connection)
    return engine


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
    """The queue in front of the engine's pool: as many places as the pool has connections."""
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
