"""The one engine a process uses, with its pool built from settings."""

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool

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
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_recycle=settings.db_pool_recycle,
        pool_pre_ping=settings.db_pool_pre_ping,
        echo=settings.db_echo,
        connect_args={
            "connect_timeout": settings.db_connect_timeout,
            "application_name": "users-posts-service",
        },
    )


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
