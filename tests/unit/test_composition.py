"""What the command line asks the container for, besides the services, needing no database."""

import logging
import os
import tempfile
from pathlib import Path
from typing import Literal

import pytest

from infrastructure.container import build_container
from infrastructure.observability.logging import ConsoleFormatter, JsonFormatter
from infrastructure.observability.metrics import MULTIPROCESS_ENV
from tests.conftest import make_settings


def test_the_sql_of_a_migration_to_head_needs_no_database() -> None:
    admin = build_container(make_settings(repository="sqlalchemy")).database_admin()

    sql = admin.upgrade_sql()

    assert "CREATE TABLE users" in sql
    assert "CREATE TABLE posts" in sql


def test_the_memory_repository_has_no_database_to_migrate_or_check() -> None:
    admin = build_container(make_settings(repository="memory")).database_admin()

    with pytest.raises(ValueError, match="REPOSITORY=memory has no database"), admin.migrated():
        pass
    with pytest.raises(ValueError, match="REPOSITORY=memory has no database"), admin.at_head():
        pass
    with admin.provide(migrate=True) as url:
        assert url is None


def test_a_printed_url_has_no_password() -> None:
    admin = build_container(make_settings()).database_admin()

    assert admin.display_url("postgresql+psycopg://app:s3cr%40t@db/app") == (
        "postgresql://app:***@db/app"
    )


@pytest.mark.parametrize(
    ("log_format", "formatter"), [("json", JsonFormatter), ("console", ConsoleFormatter)]
)
def test_the_logging_config_follows_the_settings(
    log_format: Literal["json", "console"], formatter: type[logging.Formatter]
) -> None:
    settings = make_settings(log_format=log_format, log_level="WARNING")

    config = build_container(settings).logging_config()

    assert config["formatters"]["default"]["()"] is formatter
    assert config["root"]["level"] == "WARNING"


def test_workers_get_one_fresh_metrics_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    # Set first, so that monkeypatch restores the variable's absence: the call below sets it,
    # and a later app in this process would otherwise think it shares metrics with workers.
    monkeypatch.setenv(MULTIPROCESS_ENV, "")
    monkeypatch.delenv(MULTIPROCESS_ENV)
    container = build_container(make_settings())
    stale = tmp_path / f"users-posts-metrics-{os.getpid()}" / "counter_1.db"
    stale.parent.mkdir()
    stale.write_bytes(b"left by an earlier run")

    folder = container.share_metrics_between_workers()

    assert os.environ[MULTIPROCESS_ENV] == str(folder) == str(stale.parent)
    assert list(folder.iterdir()) == []
