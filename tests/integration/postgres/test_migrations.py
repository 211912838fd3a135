"""Alembic is the one source of the schema: it builds it, undoes it, and matches the tables."""

from collections.abc import Callable

import psycopg
import pytest

from infrastructure.persistence import migrator
from infrastructure.persistence.tables import metadata
from tests.conftest import in_thread, libpq_url

pytestmark = pytest.mark.postgres


def _tables(url: str) -> set[str]:
    with psycopg.connect(libpq_url(url)) as connection:
        rows = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {row[0] for row in rows} - {"alembic_version"}


def test_head_builds_exactly_the_tables_with_no_drift(create_database: Callable[[], str]) -> None:
    url = create_database()

    in_thread(migrator.upgrade, url)

    assert _tables(url) == set(metadata.tables)
    in_thread(migrator.check, url)  # raises if the tables and the migrations differ


def test_every_revision_upgrades_downgrades_and_upgrades_again(
    create_database: Callable[[], str],
) -> None:
    """The stairway: each step up and down works on its own, so any deploy can roll back."""
    url = create_database()
    previous = "base"
    for revision in migrator.revisions():
        in_thread(migrator.upgrade, url, revision)
        in_thread(migrator.downgrade, url, previous)
        in_thread(migrator.upgrade, url, revision)
        previous = revision

    in_thread(migrator.downgrade, url, "base")
    assert _tables(url) == set()


def test_offline_sql_matches_what_the_migrations_build() -> None:
    sql = migrator.upgrade_sql("postgresql+psycopg://offline")

    assert "CREATE TABLE users" in sql
    assert "CREATE UNIQUE INDEX uq_users_email_lower ON users (lower(email))" in sql
    assert "CREATE UNIQUE INDEX uq_users_username_lower ON users (lower(username))" in sql
    assert "REFERENCES users (id) ON DELETE CASCADE" in sql
