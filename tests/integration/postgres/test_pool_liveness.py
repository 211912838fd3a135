"""A pooled connection the server has closed is replaced before a block uses it."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import psycopg
import pytest

from domain.errors import StorageUnavailableError
from infrastructure.persistence.database import Databases
from infrastructure.persistence.unit_of_work import PostgresUnitOfWork
from tests.conftest import libpq_url, opened_databases
from tests.support.factories import new_user

pytestmark = pytest.mark.postgres

PoolFactory = Callable[..., Awaitable[Databases]]


@pytest.fixture
async def small_pool(database_url: str, pg_databases: Databases) -> AsyncIterator[PoolFactory]:
    """Pools of `size` connections (one by default), with or without DB_POOL_PRE_PING;
    pg_databases empties the tables after."""
    opened: list[Databases] = []

    async def build(*, pre_ping: bool, size: int = 1) -> Databases:
        opened.append(
            await opened_databases(
                database_url=database_url,
                db_pool_size=size,
                db_max_overflow=0,
                db_pool_pre_ping=pre_ping,
                db_pool_timeout=5,
            )
        )
        return opened[-1]

    yield build
    for databases in opened:
        await databases.close()


async def _backend_pids(databases: Databases) -> set[int]:
    """The backend of every connection the pool holds, each borrowed at once."""
    pool = databases.primary.pool
    connections = [await pool.getconn() for _ in range(pool.min_size)]
    try:
        pids = set()
        for connection in connections:
            cursor = await connection.execute("SELECT pg_backend_pid()")
            row = await cursor.fetchone()
            assert row is not None
            pids.add(int(row[0]))
        return pids
    finally:
        for connection in connections:
            await pool.putconn(connection)


async def _terminate(database_url: str, pids: set[int]) -> None:
    """Terminate backends as an operator or a restart would, and wait until they are gone."""
    async with await psycopg.AsyncConnection.connect(
        libpq_url(database_url), autocommit=True
    ) as admin:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [list(pids)]
        )
        for _ in range(200):
            cursor = await admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [list(pids)]
            )
            row = await cursor.fetchone()
            if row is not None and row[0] == 0:
                return
            await asyncio.sleep(0.05)
    raise AssertionError(f"backends {pids} did not exit")


async def test_a_terminated_connection_is_replaced_before_use(
    small_pool: PoolFactory, database_url: str
) -> None:
    databases = await small_pool(pre_ping=True)
    first = await _backend_pids(databases)
    await _terminate(database_url, first)

    async with PostgresUnitOfWork(databases).read() as repos:
        assert await repos.users.get(1) is None
    assert await _backend_pids(databases) != first


async def test_a_restart_that_closed_every_connection_costs_no_block_a_failure(
    small_pool: PoolFactory, database_url: str
) -> None:
    # The first dead connection found renews the pool: the next blocks do not each find
    # another dead one, with the pool's growing pause between two failed checks.
    databases = await small_pool(pre_ping=True, size=4)
    before = await _backend_pids(databases)
    await _terminate(database_url, before)
    uow = PostgresUnitOfWork(databases)

    async def read() -> None:
        async with uow.read() as repos:
            assert await repos.users.get(1) is None

    await asyncio.wait_for(asyncio.gather(*(read() for _ in range(8))), timeout=5)
    assert (await _backend_pids(databases)).isdisjoint(before)


async def test_without_the_check_a_terminated_connection_fails_one_block(
    small_pool: PoolFactory, database_url: str
) -> None:
    databases = await small_pool(pre_ping=False)
    await _terminate(database_url, await _backend_pids(databases))

    with pytest.raises(StorageUnavailableError):
        async with PostgresUnitOfWork(databases).read() as repos:
            await repos.users.get(1)
    async with PostgresUnitOfWork(databases).read() as repos:
        assert await repos.users.get(1) is None, "the pool recovers after the failure"


async def test_a_block_cancelled_mid_statement_gives_its_connection_back(
    small_pool: PoolFactory, database_url: str
) -> None:
    # The repositories await psycopg directly: a request cancelled while its statement
    # waits (a shutdown's deadline, say) must neither keep the pool's only connection
    # nor hand it on mid-statement or still in a transaction.
    databases = await small_pool(pre_ping=True)
    uow = PostgresUnitOfWork(databases)
    async with uow.write() as tx:
        user = await tx.users.add(new_user())
        await tx.commit()

    async with await psycopg.AsyncConnection.connect(libpq_url(database_url)) as locker:
        await locker.execute("SELECT 1 FROM users WHERE id = %s FOR UPDATE", (user.id,))

        async def wait_for_the_row() -> None:
            async with uow.write() as tx:
                await tx.users.get(user.id, for_update=True)

        waiting = asyncio.create_task(wait_for_the_row())
        await asyncio.sleep(0.3)
        assert not waiting.done(), "the row lock should hold the statement"
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await locker.rollback()

    async with asyncio.timeout(5), uow.read() as repos:
        assert await repos.users.get(user.id) == user
    async with asyncio.timeout(5), uow.write() as tx:
        await tx.users.delete(user.id)
        # Not committed: the block is a transaction again, so nothing changes.
    async with uow.read() as repos:
        assert await repos.users.get(user.id) == user
    assert databases.primary.pool.get_stats()["pool_available"] == 1, "back in the pool"


async def test_a_repository_kept_past_its_block_refuses_to_run(small_pool: PoolFactory) -> None:
    databases = await small_pool(pre_ping=False)
    async with PostgresUnitOfWork(databases).read() as repos:
        users = repos.users

    with pytest.raises(RuntimeError, match="outside its `async with` block"):
        await users.get(1)
