"""Blocks wait for a connection in arrival order, and a wait too long is a 503's error.

psycopg_pool's own queue: a connection coming back goes to the block that
has waited longest, so under more concurrent requests than connections none
of them starves until the pool timeout while newcomers are served.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from domain.errors import StorageUnavailableError
from infrastructure.persistence.database import Databases, build_databases
from infrastructure.persistence.unit_of_work import PostgresUnitOfWork
from tests.conftest import make_settings

pytestmark = pytest.mark.postgres

WAITERS = 12


@pytest.fixture
def one_connection(database_url: str) -> Callable[..., Any]:
    @asynccontextmanager
    async def opened(**settings: Any) -> AsyncIterator[Databases]:
        databases = build_databases(
            make_settings(
                repository="postgres",
                database_url=database_url,
                db_pool_size=1,
                db_max_overflow=0,
                **settings,
            )
        )
        await databases.open()
        await databases.primary.pool.wait()
        try:
            yield databases
        finally:
            await databases.close()

    return opened


async def test_more_blocks_than_connections_are_served_in_arrival_order(
    one_connection: Callable[..., Any],
) -> None:
    async with one_connection(db_pool_timeout=30) as databases:
        uow = PostgresUnitOfWork(databases)
        served: list[int] = []

        async def read(number: int) -> None:
            async with uow.read() as repos:
                assert await repos.users.get(-1) is None
                served.append(number)
                await asyncio.sleep(0.01)  # hold it while the others queue

        async with uow.write() as holder:
            waiting = []
            for number in range(WAITERS):
                waiting.append(asyncio.create_task(read(number)))
                await asyncio.sleep(0.01)  # each queues before the next arrives
            assert databases.primary.pool.get_stats()["requests_waiting"] == WAITERS
            assert await holder.users.get(-1) is None
        await asyncio.wait_for(asyncio.gather(*waiting), timeout=30)

        assert served == list(range(WAITERS))
        assert databases.primary.pool.get_stats()["requests_waiting"] == 0


async def test_no_connection_within_the_timeout_is_storage_unavailable(
    one_connection: Callable[..., Any],
) -> None:
    async with one_connection(db_pool_timeout=0.05) as databases:
        uow = PostgresUnitOfWork(databases)
        async with uow.write():
            with pytest.raises(StorageUnavailableError):
                async with uow.read():
                    pass

        async with uow.read() as repos:
            assert await repos.users.get(-1) is None, "the connection came back to the pool"


async def test_a_pool_not_open_yet_or_closed_already_is_storage_unavailable(
    database_url: str,
) -> None:
    databases = build_databases(make_settings(repository="postgres", database_url=database_url))
    uow = PostgresUnitOfWork(databases)

    with pytest.raises(StorageUnavailableError):
        async with uow.read():
            pass
    await databases.open()
    async with uow.write() as tx:
        assert await tx.users.get(-1) is None
    await databases.close()
    with pytest.raises(StorageUnavailableError):
        async with uow.write():
            pass


async def test_while_the_database_is_known_unreachable_a_request_waits_the_outage_timeout_only(
    one_connection: Callable[..., Any],
) -> None:
    async with one_connection(db_pool_timeout=30, db_outage_timeout=0.05) as databases:
        uow = PostgresUnitOfWork(databases)
        outage = databases.primary.outage

        async def read() -> None:
            async with uow.read() as repos:
                assert await repos.users.get(-1) is None

        async with uow.write():
            outage.unreachable(ConnectionRefusedError("connection refused"))
            with pytest.raises(StorageUnavailableError):
                # Waiting out DB_POOL_TIMEOUT would end in this TimeoutError instead.
                await asyncio.wait_for(read(), timeout=10)

            outage.reachable()
            waiting = asyncio.create_task(read())
            await asyncio.sleep(0.5)
            assert not waiting.done(), "back in reach, it waits DB_POOL_TIMEOUT again"
        await asyncio.wait_for(waiting, timeout=10)
