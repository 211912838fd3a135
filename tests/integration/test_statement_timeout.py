"""DB_STATEMENT_TIMEOUT reaches every connection the pool opens, and 0 leaves it off."""

import pytest
from sqlalchemy import text

from infrastructure.persistence.engine import build_engine
from tests.conftest import make_settings

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize(
    ("seconds", "shown"), [(5.0, "5s"), (1.5, "1500ms"), (0.0001, "1ms"), (0.0, "0")]
)
async def test_every_connection_gets_the_statement_timeout(
    database_url: str, seconds: float, shown: str
) -> None:
    settings = make_settings(
        repository="postgres", database_url=database_url, db_statement_timeout=seconds
    )
    engine = build_engine(settings)
    try:
        async with engine.connect() as first, engine.connect() as second:
            for connection in (first, second):
                result = await connection.execute(text("SHOW statement_timeout"))
                assert result.scalar_one() == shown
        async with engine.connect() as autocommit:
            await autocommit.execution_options(isolation_level="AUTOCOMMIT")
            result = await autocommit.execute(text("SHOW statement_timeout"))
            assert result.scalar_one() == shown
    finally:
        await engine.dispose()
