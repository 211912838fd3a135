"""The counters' stores that RATE_LIMIT_STORAGE can name, besides PostgreSQL's own."""

from typing import TYPE_CHECKING, Final

from limits.aio.storage import RedisStorage

if TYPE_CHECKING:
    from coredis import ConnectionPool

IN_PROCESS_WARNING: Final = (
    "Rate limits are counted in this process's memory (RATE_LIMIT_STORAGE=memory, or "
    "REPOSITORY=memory): every worker and replica counts on its own, so the limits hold "
    "only for a single-process development server. Use postgres or a redis:// URL."
)


def redis_pool(url: str) -> "ConnectionPool":
    """The Redis connections, held by the service so that shutting down can close them.

    coredis is imported here, when Redis is configured: with beartype it is
    about 440 modules and 13 MiB that a worker counting in PostgreSQL never uses.
    """
    from coredis import ConnectionPool  # noqa: PLC0415 - see the docstring

    return ConnectionPool.from_url(url)


def redis_storage(url: str, pool: "ConnectionPool") -> RedisStorage:
    """limits' async Redis storage (coredis) on `pool`; its errors become limits' StorageError."""
    # limits passes `connection_pool` through to coredis, though it types its options as scalars.
    return RedisStorage(f"async+{url}", wrap_exceptions=True, connection_pool=pool)  # type: ignore[arg-type]
