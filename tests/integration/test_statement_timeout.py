"""DB_STATEMENT_TIMEOUT reaches every connection the pool opens, and 0 leaves it off."""

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
