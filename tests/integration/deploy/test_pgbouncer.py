"""psycopg through PgBouncer's transaction pooling: why DB_PREPARED_STATEMENTS exists."""

import psycopg
import pytest

from infrastructure.persistence.database import Databases
from tests.conftest import opened_databases
from tests.support.pgbouncer import PgBouncer

pytestmark = pytest.mark.postgres

QUERY = "SELECT CAST(%s AS integer) + 1"


async def _run_on_another_server_connection(databases: Databases) -> int:
    """Run a query often enough on one connection for psycopg to prepare it, then once more
    while another client's transaction holds the server connection it was prepared on."""
    pool = databases.primary.pool
    async with pool.connection() as mine:
        await mine.set_autocommit(False)
        for n in range(10):
            await mine.execute(QUERY, [n])
        # Ends the transaction: PgBouncer takes its server connection back and
        # hands it, last in first out, to the next client that needs one.
        await mine.commit()
        async with pool.connection() as other:
            await other.set_autocommit(False)
            await other.execute("SELECT 1")
            try:
                cursor = await mine.execute(QUERY, [41])
                row = await cursor.fetchone()
            finally:
                await other.rollback()
                await other.set_autocommit(True)
                await mine.rollback()
                await mine.set_autocommit(True)
        assert row is not None
        return int(row[0])


async def _databases(pgbouncer: PgBouncer, database_url: str, *, prepared: bool) -> Databases:
    return await opened_databases(
        database_url=pgbouncer.url_for(database_url),
        db_prepared_statements=prepared,
        db_pool_size=2,
    )


async def test_prepared_statements_break_when_a_transaction_moves_to_another_server_connection(
    pgbouncer: PgBouncer, database_url: str
) -> None:
    databases = await _databases(pgbouncer, database_url, prepared=True)
    try:
        with pytest.raises(psycopg.Error, match=r"prepared statement \S+ does not exist"):
            await _run_on_another_server_connection(databases)
    finally:
        await databases.close()


async def test_without_prepared_statements_every_server_connection_will_do(
    pgbouncer: PgBouncer, database_url: str
) -> None:
    databases = await _databases(pgbouncer, database_url, prepared=False)
    try:
        assert await _run_on_another_server_connection(databases) == 42
    finally:
        await databases.close()
