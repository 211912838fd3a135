"""A database nothing answers on: one WARNING with the cause, and a readiness that says so."""

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from domain.errors import StorageUnavailableError
from infrastructure.observability.health import PostgresReadinessProbe
from infrastructure.persistence.database import Databases, build_databases
from infrastructure.persistence.migrator import head_revision
from infrastructure.persistence.unit_of_work import PostgresUnitOfWork
from tests.conftest import make_settings
from tests.support.live_server import free_port

pytestmark = pytest.mark.postgres

PASSWORD = "not-to-be-logged"


@pytest.fixture
async def unreachable() -> AsyncIterator[Databases]:
    """Pools on a port nothing listens on, closed: a test opens them while it looks at the log."""
    url = f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{free_port()}/app"
    databases = build_databases(
        make_settings(
            repository="postgres", database_url=url, db_pool_timeout=30, db_outage_timeout=0.2
        )
    )
    yield databases
    await databases.close()


async def test_an_unreachable_database_is_logged_once_with_its_cause(
    unreachable: Databases, caplog: pytest.LogCaptureFixture
) -> None:
    uow = PostgresUnitOfWork(unreachable)

    async def read() -> None:
        async with uow.read():
            pass

    with caplog.at_level(logging.INFO):
        await unreachable.open()
        # The pool's first attempt to connect finds the outage; a request already waiting
        # then would wait out DB_POOL_TIMEOUT.
        async with asyncio.timeout(10):
            while unreachable.primary.outage.cause is None:  # noqa: ASYNC110 (no event to await)
                await asyncio.sleep(0.01)
        for _ in range(3):
            with pytest.raises(StorageUnavailableError):
                # Each waits DB_OUTAGE_TIMEOUT, not DB_POOL_TIMEOUT (that would be this timeout).
                await asyncio.wait_for(read(), timeout=10)
    outage = [r for r in caplog.records if r.name == "infrastructure.persistence.outage"]
    assert [r.levelno for r in outage] == [logging.WARNING]
    assert "the database 'primary' is unreachable" in outage[0].getMessage()
    assert "Connection refused" in outage[0].getMessage()
    assert unreachable.primary.outage.cause is not None
    assert "Connection refused" in unreachable.primary.outage.cause
    assert not [r for r in caplog.records if r.getMessage().startswith("error connecting in")]
    assert PASSWORD not in caplog.text


async def test_readiness_says_unreachable_not_a_missing_revision(unreachable: Databases) -> None:
    await unreachable.open()
    probe = PostgresReadinessProbe(unreachable, expected_revision=head_revision(), timeout=1)
    readiness = await probe.check()
    assert not readiness.ready
    assert readiness.detail.startswith("the database is unreachable: ")
    assert "Connection refused" in readiness.detail
    assert "revision" not in readiness.detail
