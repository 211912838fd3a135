"""A PostgreSQL stopped under a running pool: one WARNING with the cause, one when it is back."""

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from domain.errors import StorageUnavailableError
from infrastructure.persistence.database import Databases
from infrastructure.persistence.unit_of_work import PostgresUnitOfWork
from tests.conftest import opened_databases
from tests.resilience.conftest import ControlledPostgres

pytestmark = pytest.mark.resilience


@pytest.fixture
async def databases(
    controlled_postgres: ControlledPostgres, faults_database: str
) -> AsyncIterator[Databases]:
    opened = await opened_databases(
        database_url=controlled_postgres.server.url_for(faults_database),
        db_pool_size=2,
        db_pool_timeout=1,
    )
    yield opened
    await opened.close()


def _outage_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "infrastructure.persistence.outage"
    ]


async def test_a_stopped_server_is_logged_once_and_its_return_once(
    controlled_postgres: ControlledPostgres,
    databases: Databases,
    caplog: pytest.LogCaptureFixture,
) -> None:
    uow = PostgresUnitOfWork(databases)
    async with uow.read() as block:
        assert await block.users.get_by_email("nobody@example.com") is None
    with caplog.at_level(logging.INFO):
        await asyncio.to_thread(controlled_postgres.stop)
        for _ in range(4):
            with pytest.raises(StorageUnavailableError):
                async with uow.read() as block:
                    await block.users.get_by_email("nobody@example.com")
        assert len(_outage_lines(caplog)) == 1, caplog.text
        assert "the database 'primary' is unreachable: " in _outage_lines(caplog)[0]

        await asyncio.to_thread(controlled_postgres.start)
        async with uow.read() as block:
            assert await block.users.get_by_email("nobody@example.com") is None
    lines = _outage_lines(caplog)
    assert len(lines) == 2, caplog.text
    assert lines[1] == "the database 'primary' is reachable again"
    assert databases.primary.outage.cause is None
