"""limits' async Storage over a PostgreSQL table: counters every worker and replica share."""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Final, TypeVar

import psycopg
from limits.aio.storage import Storage
from sqlalchemy import Interval, bindparam, case, delete, func, select
from sqlalchemy.dialects.postgresql import insert

from domain.errors import StorageUnavailableError
from infrastructure.persistence.database import Database
from infrastructure.persistence.errors import is_unavailability
from infrastructure.persistence.statements import Connection, Statement
from infrastructure.persistence.tables import rate_limit_counters as counters

Result = TypeVar("Result")

PURGE_EVERY: Final = 1000
"""Increments between two sweeps of expired rows, per process."""

_PURGE: Final = Statement(delete(counters).where(counters.c.expires_at <= func.now()))
_FRESH: Final = insert(counters).values(
    key=bindparam("key", type_=counters.c.key.type),
    count=bindparam("amount", type_=counters.c.count.type),
    expires_at=func.now() + bindparam("expiry", type_=Interval()),
)
_EXPIRED: Final = counters.c.expires_at <= func.now()
_INCREMENT: Final = Statement(
    _FRESH.on_conflict_do_update(
        index_elements=[counters.c.key],
        set_={
            "count": case(
                (_EXPIRED, _FRESH.excluded.count), else_=counters.c.count + _FRESH.excluded.count
            ),
            "expires_at": case((_EXPIRED, _FRESH.excluded.expires_at), else_=counters.c.expires_at),
        },
    ).returning(counters.c.count)
)
_LIVE: Final = (counters.c.key == bindparam("key", type_=counters.c.key.type)) & (
    counters.c.expires_at > func.now()
)
_COUNT: Final = Statement(select(counters.c.count).where(_LIVE))
_EXPIRY: Final = Statement(
    select(
        func.coalesce(
            select(func.extract("epoch", counters.c.expires_at)).where(_LIVE).scalar_subquery(),
            func.extract("epoch", func.now()),
        )
    )
)
_PING: Final = Statement(select(1))
_CLEAR: Final = Statement(
    delete(counters).where(counters.c.key == bindparam("key", type_=counters.c.key.type))
)
_RESET: Final = Statement(delete(counters))


class PostgresStorage(Storage):
    """Fixed windows in the `rate_limit_counters` table, one row per key.

    Each increment is one `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`:
    PostgreSQL serialises concurrent increments of a key on its row, so
    workers on any number of connections count exactly, and a window that
    has expired starts again in the same statement. Time is the database's
    `now()`, so replicas whose clocks disagree still share one window.

    Statements run on the primary's pool, whose connections rest in
    autocommit: each is its own transaction, with no BEGIN or COMMIT round
    trips. Expired rows are dead weight only (the increment restarts them),
    so they are swept every `purge_every` increments rather than on every one.
    """

    STORAGE_SCHEME = None  # built on the primary's pool, never from a URL

    def __init__(self, database: Database, *, purge_every: int = PURGE_EVERY) -> None:
        super().__init__()
        self._database = database
        self._purge_every = purge_every
        self._increments = 0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return psycopg.Error

    async def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        values = {"key": key, "amount": amount, "expiry": timedelta(seconds=expiry)}

        async def run(connection: Connection) -> int:
            count: int = await _INCREMENT.scalar(connection, values)
            self._increments += 1
            if self._increments % self._purge_every == 0:
                await _PURGE.rowcount(connection, {})
            return count

        return await self._on_connection(run)

    async def get(self, key: str) -> int:
        async def run(connection: Connection) -> int:
            count: int | None = await _COUNT.scalar(connection, {"key": key})
            return count or 0

        return await self._on_connection(run)

    async def get_expiry(self, key: str) -> float:
        """When the key's window ends, in seconds since the epoch; now when it has none."""

        async def run(connection: Connection) -> float:
            return float(await _EXPIRY.scalar(connection, {"key": key}))

        return await self._on_connection(run)

    async def check(self) -> bool:
        try:
            await self._on_connection(lambda connection: _PING.scalar(connection, {}))
        except (psycopg.Error, StorageUnavailableError):
            return False
        return True

    async def reset(self) -> int | None:
        return await self._on_connection(lambda connection: _RESET.rowcount(connection, {}))

    async def clear(self, key: str) -> None:
        await self._on_connection(lambda connection: _CLEAR.rowcount(connection, {"key": key}))

    async def purge_expired(self) -> int:
        """Delete the rows whose window has ended; return how many went."""
        return await self._on_connection(lambda connection: _PURGE.rowcount(connection, {}))

    async def _on_connection(self, work: Callable[[Connection], Awaitable[Result]]) -> Result:
        """Run `work` on a pooled connection; an unreachable database is StorageUnavailableError."""
        try:
            async with self._database.pool.connection() as connection:
                return await work(connection)
        except psycopg.Error as error:
            if is_unavailability(error):
                raise StorageUnavailableError from error
            raise
