"""DB_STATEMENT_TIMEOUT and DB_ECHO reach every connection the pool opens."""

import logging

import pytest

from tests.conftest import opened_databases

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize(
    ("seconds", "shown"), [(5.0, "5s"), (1.5, "1500ms"), (0.0001, "1ms"), (0.0, "0")]
)
async def test_every_connection_gets_the_statement_timeout(
    database_url: str, seconds: float, shown: str
) -> None:
    databases = await opened_databases(
        database_url=database_url, db_statement_timeout=seconds, db_pool_size=2
    )
    pool = databases.primary.pool
    try:
        async with pool.connection() as first, pool.connection() as second:
            for connection in (first, second):
                cursor = await connection.execute("SHOW statement_timeout")
                assert await cursor.fetchone() == (shown,)
            await second.set_autocommit(False)
            cursor = await second.execute("SHOW statement_timeout")
            assert await cursor.fetchone() == (shown,), "in a transaction too"
            await second.rollback()
            await second.set_autocommit(True)
    finally:
        await databases.close()


async def test_db_echo_logs_each_statement_without_its_values(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    databases = await opened_databases(database_url=database_url, db_echo=True, db_pool_size=1)
    try:
        with caplog.at_level(logging.INFO, logger="infrastructure.persistence.database"):
            async with databases.primary.pool.connection() as connection:
                await connection.execute("SELECT %s::text", ["a-secret-value"])
    finally:
        await databases.close()

    logged = [record.getMessage() for record in caplog.records]
    assert "SQL: SELECT %s::text" in logged
    assert not any("a-secret-value" in line for line in logged)
