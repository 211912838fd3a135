"""psycopg through PgBouncer's transaction pooling: why DB_PREPARED_STATEMENTS exists."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.persistence.engine import build_engine
from tests.conftest import make_settings
from tests.pgbouncer import PgBouncer

pytestmark = pytest.mark.postgres

QUERY = text("SELECT CAST(:n AS integer) + 1")


async def _run_on_another_server_connection(engine: AsyncEngine) -> int:
    """Run a query often enough on one connection for psycopg to prepare it, then once more
    while another client's transaction holds the server connection it was prepared on."""
    async with engine.connect() as mine:
        for n in range(10):
            await mine.execute(QUERY, {"n": n})
        # Ends the transaction: PgBouncer takes its server connection back and
        # hands it, last in first out, to the next client that needs one.
        await mine.commit()
        async with engine.connect() as other:
            await other.execute(text("SELECT 1"))
            result = await mine.execute(QUERY, {"n": 41})
            await other.rollback()
        return int(result.scalar_one())


def _engine(pgbouncer: PgBouncer, database_url: str, *, prepared: bool) -> AsyncEngine:
    return build_engine(
        make_settings(
            repository="postgres",
            database_url=pgbouncer.url_for(database_url),
            db_prepared_statements=prepared,
        )
    )


async def test_prepared_statements_break_when_a_transaction_moves_to_another_server_connection(
    pgbouncer: PgBouncer, database_url: str
) -> None:
    engine = _engine(pgbouncer, database_url, prepared=True)
    try:
        with pytest.raises(DBAPIError, match=r"prepared statement \S+ does not exist"):
            await _run_on_another_server_connection(engine)
    finally:
        await engine.dispose()


async def test_without_prepared_statements_every_server_connection_will_do(
    pgbouncer: PgBouncer, database_url: str
) -> None:
    engine = _engine(pgbouncer, database_url, prepared=False)
    try:
        assert await _run_on_another_server_connection(engine) == 42
    finally:
        await engine.dispose()
