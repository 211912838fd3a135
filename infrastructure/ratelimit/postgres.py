"""limits' async Storage over a PostgreSQL table: counters every worker and replica share."""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Final, TypeVar

from limits.aio.storage import Storage
from sqlalchemy import Interval, case, delete, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.errors import StorageUnavailableError
from infrastructure.persistence.errors import is_unavailability
from infrastructure.persistence.tables import rate_limit_counters as counters

Result = TypeVar("Result")

PURGE_EVERY: Final = 1000
"""Increments between two sweeps of expired rows, per process."""

_PURGE: Final = delete(counters).where(counters.c.expires_at <= func.now())


class PostgresStorage(Storage):
    """Fixed windows in the `rate_limit_counters` table, one row per key.

    Each increment is one `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`:
    PostgreSQL serialises concurrent increments of a key on its row, so
    workers on any number of connections count exactly, and a window that
    has expired starts again in the same statement. Time is the database's
    `now()`, so replicas whose clocks disagree still share one window.

    Statements run in autocommit: each is its own transaction, with no
    BEGIN or COMMIT round trips. Expired rows are dead weight only (the
    increment restarts them), so they are swept every `purge_every`
    increments rather than on every one.
    """

    STORAGE_SCHEME = None  # built from the engine, never from a URL

    def __init__(self, engine: AsyncEngine, *, purge_every: int = PURGE_EVERY) -> None:
        super().__init__()
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._purge_every = purge_every
        self._increments = 0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    async def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = func.now()
        fresh = insert(counters).values(
            key=key, count=amount, expires_at=now + literal(timedelta(seconds=expiry), Interval)
        )
        expired = counters.c.expires_at <= now
        statement = fresh.on_conflict_do_update(
            index_elements=[counters.c.key],
            set_={
                "count": case(
                    (expired, fresh.excluded.count),
                    else_=counters.c.count + fresh.excluded.count,
                ),
                "expires_at": case(
                    (expired, fresh.excluded.expires_at), else_=counters.c.expires_at
                ),
            },
        ).returning(counters.c.count)

        async def run(connection: AsyncConnection) -> int:
            count: int = (await connection.execute(statement)).scalar_one()
            self._increments += 1
            if self._increments % self._purge_every == 0:
                await connection.execute(_PURGE)
            return count

        return await self._on_connection(run)

    async def get(self, key: str) -> int:
        statement = select(counters.c.count).where(
            counters.c.key == key, counters.c.expires_at > func.now()
        )

        async def run(connection: AsyncConnection) -> int:
            count: int | None = (await connection.execute(statement)).scalar_one_or_none()
            return count or 0

        return await self._on_connection(run)

    async def get_expiry(self, key: str) -> float:
        """When the key's window ends, in seconds since the epoch; now when it has none."""
        live = (
            select(func.extract("epoch", counters.c.expires_at))
            .where(counters.c.key == key, counters.c.expires_at > func.now())
            .scalar_subquery()
        )
        statement = select(func.coalesce(live, func.extract("epoch", func.now())))

        async def run(connection: AsyncConnection) -> float:
            return float((await connection.execute(statement)).scalar_one())

        return await self._on_connection(run)

    async def check(self) -> bool:
        try:
            await self._on_connection(lambda connection: connection.execute(select(1)))
        except (SQLAlchemyError, StorageUnavailableError):
            return False
        return True

    async def reset(self) -> int | None:
        async def run(connection: AsyncConnection) -> int:
            return (await connection.execute(delete(counters))).rowcount

        return await self._on_connection(run)

    async def clear(self, key: str) -> None:
        await self._on_connection(
            lambda connection: connection.execute(delete(counters).where(counters.c.key == key))
        )

    async def purge_expired(self) -> int:
        """Delete the rows whose window has ended; return how many went."""

        async def run(connection: AsyncConnection) -> int:
            return (await connection.execute(_PURGE)).rowcount

        return await self._on_connection(run)

    async def _on_connection(self, work: Callable[[AsyncConnection], Awaitable[Result]]) -> Result:
        """Run `work` on a pooled connection; an unreachable database is StorageUnavailableError."""
        try:
            async with self._engine.connect() as connection:
                return await work(connection)
        except SQLAlchemyError as error:
            if is_unavailability(error):
                raise StorageUnavailableError from error
            raise
