"""The engines a process uses, one per database, with their pools built from settings."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool

from infrastructure.observability.metrics import PoolStats
from infrastructure.settings import Settings


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


def build_replica_engine(settings: Settings) -> AsyncEngine | None:
    """The engine on DATABASE_REPLICA_URL, or None when reads all go to the primary."""
    if settings.database_replica_url is None:
        return None
    return _engine(settings.database_replica_url, settings)


def _engine(url: str, settings: Settings) -> AsyncEngine:
    connect_args: dict[str, Any] = {
        "connect_timeout": settings.db_connect_timeout,
        "application_name": "users-posts-service",
    }
    if not settings.db_prepared_statements:
        # psycopg prepares a query, under a name, on its sixth run on a connection.
        # Behind a transaction pooler the next run may reach a server connection
        # that never saw that name ("prepared statement _pg3_0 does not exist").
        # None keeps every query on unnamed statements, which any pooler passes on.
        connect_args["prepare_threshold"] = None
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_recycle=settings.db_pool_recycle,
        pool_pre_ping=settings.db_pool_pre_ping,
        echo=settings.db_echo,
        connect_args=connect_args,
    )


def pool_stats(engine: AsyncEngine) -> PoolStats | None:
    """What the pool holds now; None for a pool that does not count (NullPool)."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return None
    return PoolStats(
        size=pool.size(), checked_out=pool.checkedout(), overflow=max(pool.overflow(), 0)
    )
