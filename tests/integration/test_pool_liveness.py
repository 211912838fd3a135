"""A pooled connection the server has closed is replaced at checkout, without a round trip."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.errors import StorageUnavailableError
from infrastructure.persistence.engine import build_engine
from infrastructure.persistence.unit_of_work import PostgresUnitOfWork
from tests.conftest import libpq_url, make_settings
from tests.factories import new_user

pytestmark = pytest.mark.postgres

EngineFactory = Callable[[bool], Awaitable[AsyncEngine]]


@pytest.fixture
async def one_connection_engine(database_url: str) -> AsyncIterator[EngineFactory]:
    """An engine with a pool of one connection, with or without DB_POOL_PRE_PING."""
    engines: list[AsyncEngine] = []

    async def build(pre_ping: bool) -> AsyncEngine:
        settings = make_settings(
            repository="postgres",
            database_url=database_url,
            db_pool_size=1,
            db_max_overflow=0,
            db_pool_pre_ping=pre_ping,
        )
        engines.append(build_engine(settings))
        return engines[-1]

    yield build
    for engine in engines:
        await engine.dispose()


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        pid: int = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        return pid


async def _terminate(database_url: str, pid: int) -> None:
    """Terminate a backend as an operator or a restart would, and wait until it is gone."""
    async with await psycopg.AsyncConnection.connect(
        libpq_url(database_url), autocommit=True
    ) as admin:
        await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(200):
            cursor = await admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)
            )
            row = await cursor.fetchone()
            if row is not None and row[0] == 0:
                return
            await asyncio.sleep(0.05)
    raise AssertionError(f"backend {pid} did not exit")


async def test_a_terminated_connection_is_replaced_before_use_without_a_ping(
    one_connection_engine: EngineFactory, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = await one_connection_engine(True)
    pings: list[Any] = []
    original_ping = engine.dialect.do_ping

    def counting_ping(connection: Any) -> bool:
        pings.append(connection)
        return original_ping(connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counting_ping)
    first = await _backend_pid(engine)
    await _terminate(database_url, first)

    async with PostgresUnitOfWork(engine).reading() as uow:
        assert await uow.users.get(1) is None
    assert await _backend_pid(engine) != first
    assert pings == [], "the check costs no round trip"


async def test_without_the_check_a_terminated_connection_fails_one_request(
    one_connection_engine: EngineFactory, database_url: str
) -> None:
    engine = await one_connection_engine(False)
    await _terminate(database_url, await _backend_pid(engine))

    with pytest.raises(StorageUnavailableError):
        async with PostgresUnitOfWork(engine).reading() as uow:
            await uow.users.get(1)
    async with PostgresUnitOfWork(engine).reading() as uow:
        assert await uow.users.get(1) is None, "the pool recovers after the failure"


async def test_a_unit_of_work_cancelled_mid_statement_gives_its_connection_back(
    one_connection_engine: EngineFactory, database_url: str
) -> None:
    # The repositories await psycopg directly: a request cancelled while its statement
    # waits (a shutdown's deadline, say) must neither keep the pool's only connection
    # nor hand it on mid-statement or still in a transaction.
    engine = await one_connection_engine(True)
    async with PostgresUnitOfWork(engine) as uow:
        user = await uow.users.add(new_user())
        await uow.commit()

    async with await psycopg.AsyncConnection.connect(libpq_url(database_url)) as locker:
        await locker.execute("SELECT 1 FROM users WHERE id = %s FOR UPDATE", (user.id,))

        async def wait_for_the_row() -> None:
            async with PostgresUnitOfWork(engine) as uow:
                await uow.users.get(user.id, for_update=True)

        waiting = asyncio.create_task(wait_for_the_row())
        await asyncio.sleep(0.3)
        assert not waiting.done(), "the row lock should hold the statement"
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await locker.rollback()

    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    async with asyncio.timeout(5), PostgresUnitOfWork(engine).reading() as uow:
        assert await uow.users.get(user.id) == user
    async with asyncio.timeout(5), PostgresUnitOfWork(engine) as uow:
        await uow.users.delete(user.id)
        # Not committed: the unit of work is a transaction again, so nothing changes.
    async with PostgresUnitOfWork(engine).reading() as uow:
        assert await uow.users.get(user.id) == user
