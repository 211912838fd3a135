"""Alembic is the one source of the schema: it builds it, undoes it, and matches the tables."""

from collections.abc import Callable

import psycopg
import pytest

from infrastructure.persistence import migrator
from tests.conftest import in_thread, libpq_url

pytestmark = pytest.mark.postgres


def _tables(url: str) -> set[str]:
    with psycopg.connect(libpq_url(url)) as connection:
        rows = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {row[0] for row in rows}


def test_upgrade_downgrade_upgrade_on_an_empty_database(
    create_database: Callable[[], str],
) -> None:
    url = create_database()

    in_thread(migrator.upgrade, url)
    assert _tables(url) == {"alembic_version", "users"}
    in_thread(migrator.check, url)  # raises if the tables and the migrations differ

    in_thread(migrator.downgrade, url)
    assert _tables(url) == {"alembic_version"}

    in_thread(migrator.upgrade, url)
    assert "users" in _tables(url)


def test_offline_sql_matches_what_the_migrations_build() -> None:
    sql = migrator.upgrade_sql("postgresql+psycopg://offline")

    assert "CREATE TABLE users" in sql
    assert "CREATE UNIQUE INDEX uq_users_email_lower ON users (lower(email))" in sql
    assert "CREATE UNIQUE INDEX uq_users_username_lower ON users (lower(username))" in sql
