"""The rate-limit stores on real servers: PostgreSQL always, Redis when one answers."""

import asyncio
import os
import socket
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from limits import parse
from psycopg_pool import AsyncConnectionPool

from application.ratelimit import Limit, RateLimitExceededError
from domain.errors import StorageUnavailableError
from infrastructure.persistence.database import Database, Databases, build_databases
from infrastructure.persistence.statements import Connection
from infrastructure.ratelimit import (
    PostgresStorage,
    RateLimits,
    RateLimitStorageUnavailableError,
    redis_pool,
    redis_storage,
)
from tests.conftest import column, make_settings, opened_databases

WINDOW = 60


Pool = AsyncConnectionPool[Connection]


@pytest.fixture
def pg_pool(pg_databases: Databases) -> Pool:
    return pg_databases.primary.pool


@pytest.fixture
def pg_database(pg_databases: Databases) -> Database:
    return pg_databases.primary


async def _expire(pool: Pool, key: str) -> None:
    """Move a window's end into the past: the clock, without waiting for it."""
    async with pool.connection() as connection:
        await connection.execute(
            "UPDATE rate_limit_counters SET expires_at = now() - interval '1 second'"
            " WHERE key = %s",
            [key],
        )


async def _rows(pool: Pool) -> dict[str, int]:
    async with pool.connection() as connection:
        cursor = await connection.execute("SELECT key, count FROM rate_limit_counters")
        return dict(await cursor.fetchall())


@pytest.mark.postgres
class TestPostgresStorage:
    async def test_increments_count_up_within_a_window(
        self, pg_pool: Pool, pg_database: Database
    ) -> None:
        storage = PostgresStorage(pg_database)

        counts = [await storage.incr("k", WINDOW) for _ in range(3)]

        assert counts == [1, 2, 3]
        assert await storage.get("k") == 3
        assert await storage.incr("k", WINDOW, amount=5) == 8
        assert await storage.get("other") == 0

    async def test_the_expiry_is_the_window_end_by_the_database_clock(
        self, pg_pool: Pool, pg_database: Database
    ) -> None:
        storage = PostgresStorage(pg_database)
        (now,) = await column(pg_pool, "SELECT extract(epoch FROM now())")
        before = float(now)

        await storage.incr("k", WINDOW)

        assert before + WINDOW <= await storage.get_expiry("k") <= before + WINDOW + 30
        # A key with no window "resets" now.
        assert abs(await storage.get_expiry("none") - time.time()) < 30

    async def test_an_expired_window_starts_again_in_the_same_statement(
        self, pg_pool: Pool, pg_database: Database
    ) -> None:
        storage = PostgresStorage(pg_database)
        for _ in range(4):
            await storage.incr("k", WINDOW)

        await _expire(pg_pool, "k")

        assert await storage.get("k") == 0
        assert await storage.incr("k", WINDOW) == 1
        assert await storage.get_expiry("k") > time.time() + WINDOW - 30

    async def test_clear_reset_and_purge(self, pg_pool: Pool, pg_database: Database) -> None:
        storage = PostgresStorage(pg_database)
        for key in ("a", "b", "c"):
            await storage.incr(key, WINDOW)

        await storage.clear("a")
        assert await _rows(pg_pool) == {"b": 1, "c": 1}

        await _expire(pg_pool, "b")
        assert await storage.purge_expired() == 1
        assert await _rows(pg_pool) == {"c": 1}

        assert await storage.reset() == 1
        assert await _rows(pg_pool) == {}

    async def test_expired_rows_are_swept_every_so_many_increments(
        self, pg_pool: Pool, pg_database: Database
    ) -> None:
        storage = PostgresStorage(pg_database, purge_every=3)
        await storage.incr("old", WINDOW)
        await _expire(pg_pool, "old")

        await storage.incr("new", WINDOW)
        assert set(await _rows(pg_pool)) == {"old", "new"}
        await storage.incr("new", WINDOW)  # the third increment sweeps

        assert await _rows(pg_pool) == {"new": 2}

    async def test_concurrent_increments_from_several_workers_count_exactly(
        self, pg_pool: Pool, database_url: str
    ) -> None:
        """Four "workers", each with a pool of three connections, increment one key at once."""
        pools = [
            await opened_databases(database_url=database_url, db_pool_size=3) for _ in range(4)
        ]
        try:
            workers = [PostgresStorage(databases.primary) for databases in pools]
            counts = await asyncio.gather(
                *(worker.incr("shared", WINDOW) for worker in workers for _ in range(25))
            )
        finally:
            for databases in pools:
                await databases.close()

        # Every increment saw a different count: none was lost or counted twice.
        assert sorted(counts) == list(range(1, 101))
        assert await _rows(pg_pool) == {"shared": 100}

    async def test_the_limiter_on_postgres_refuses_past_the_rate(
        self, pg_pool: Pool, pg_database: Database
    ) -> None:
        limits = RateLimits(PostgresStorage(pg_database), dict.fromkeys(Limit, parse("2/minute")))
        await limits.hit(Limit.REGISTRATIONS, "203.0.113.7")
        await limits.hit(Limit.REGISTRATIONS, "203.0.113.7")

        with pytest.raises(RateLimitExceededError) as refused:
            await limits.hit(Limit.REGISTRATIONS, "203.0.113.7")

        assert 1 <= refused.value.retry_after <= 60

    async def test_the_health_check_answers(self, pg_pool: Pool, pg_database: Database) -> None:
        assert await PostgresStorage(pg_database).check() is True


async def test_an_unreachable_database_is_storage_unavailable() -> None:
    databases = build_databases(
        make_settings(
            repository="postgres",
            database_url="postgresql://nobody@127.0.0.1:9/none",
            db_connect_timeout=1,
            db_pool_timeout=1,
        )
    )
    await databases.open()
    storage = PostgresStorage(databases.primary)
    try:
        with pytest.raises(StorageUnavailableError):
            await storage.incr("k", WINDOW)
        assert await storage.check() is False
    finally:
        await databases.close()


REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")


def _redis_answers(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "", parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_limits() -> Iterator[RateLimits]:
    if not _redis_answers(REDIS_URL):
        pytest.skip(f"no Redis answers at {REDIS_URL} (set REDIS_URL to test the Redis store)")
    pool = redis_pool(REDIS_URL)
    yield RateLimits(redis_storage(REDIS_URL, pool), dict.fromkeys(Limit, parse("2/minute")))
    pool.disconnect()


async def test_the_limiter_on_redis_refuses_past_the_rate(redis_limits: RateLimits) -> None:
    client = f"test-{uuid.uuid4()}"  # keys of their own on a Redis others may use
    await redis_limits.hit(Limit.REGISTRATIONS, client)
    await redis_limits.hit(Limit.REGISTRATIONS, client)

    with pytest.raises(RateLimitExceededError) as refused:
        await redis_limits.hit(Limit.REGISTRATIONS, client)
    assert 1 <= refused.value.retry_after <= 60

    await redis_limits.hit(Limit.LOGIN_ATTEMPTS, client)
    await redis_limits.forget(Limit.REGISTRATIONS, client)
    await redis_limits.hit(Limit.REGISTRATIONS, client)


async def test_an_unreachable_redis_is_storage_unavailable() -> None:
    url = "redis://127.0.0.1:9"
    pool = redis_pool(url)
    limits = RateLimits(redis_storage(url, pool), dict.fromkeys(Limit, parse("2/minute")))

    with pytest.raises(RateLimitStorageUnavailableError):
        await limits.hit(Limit.REGISTRATIONS, "203.0.113.7")
    pool.disconnect()
