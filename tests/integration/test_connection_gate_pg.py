"""Units of work on PostgreSQL queue at the gate, and a wait past its timeout is a 503's error."""

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.errors import StorageUnavailableError
from infrastructure.persistence.gate import ConnectionGate
from infrastructure.persistence.unit_of_work import PostgresUnitOfWork

pytestmark = pytest.mark.postgres


async def test_a_unit_of_work_waits_for_a_place_and_gives_it_back(pg_engine: AsyncEngine) -> None:
    gate = ConnectionGate(1, timeout=30)
    order: list[str] = []

    async with PostgresUnitOfWork(pg_engine, gate).reading() as first:
        second = asyncio.create_task(_read(PostgresUnitOfWork(pg_engine, gate), order))
        for _ in range(20):
            await asyncio.sleep(0)
        assert gate.waiting == 1
        assert await first.users.get(1) is None
        order.append("first")

    await asyncio.wait_for(second, timeout=10)
    assert order == ["first", "second"]
    assert gate.waiting == 0


async def test_no_place_within_the_timeout_is_storage_unavailable(pg_engine: AsyncEngine) -> None:
    gate = ConnectionGate(1, timeout=0.05)

    async with PostgresUnitOfWork(pg_engine, gate):
        with pytest.raises(StorageUnavailableError):
            async with PostgresUnitOfWork(pg_engine, gate).reading():
                pass

    async with PostgresUnitOfWork(pg_engine, gate).reading() as uow:
        assert await uow.users.get(1) is None


async def _read(uow: PostgresUnitOfWork, order: list[str]) -> None:
    async with uow.reading():
        order.append("second")
