"""The command line as an operator runs it: real processes, real ports."""

import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
import pytest

from infrastructure.persistence import migrator
from tests.conftest import libpq_url
from tests.support.cli import CLI
from tests.support.live_server import command_environment, serving
from tests.support.paths import PROJECT_ROOT


def _register_and_fetch(base_url: str) -> dict[str, object]:
    created = httpx.post(
        f"{base_url}/users/",
        json={"email": "cli@example.com", "username": "cli", "password": "pass-word-1"},
    )
    assert created.status_code == 201, created.text
    fetched = httpx.get(base_url + created.headers["location"])
    assert fetched.status_code == 200
    body: dict[str, object] = fetched.json()
    return body


@pytest.mark.postgres
def test_serve_migrates_and_uses_database_url_and_exits_0_on_sigterm(
    create_database: Callable[[], str],
) -> None:
    url = create_database()

    with serving("--migrate", DATABASE_URL=libpq_url(url)) as (base_url, process):
        body = _register_and_fetch(base_url)

    assert process.returncode == 0
    with psycopg.connect(libpq_url(url)) as connection:
        row = connection.execute("SELECT id, email FROM users").fetchone()
    assert row == (body["id"], "cli@example.com")


def test_serve_without_database_url_runs_an_embedded_postgres(tmp_path: Path) -> None:
    data_dir = tmp_path / "pgdata"
    with serving(EMBEDDED_POSTGRES_DIR=str(data_dir)) as (base_url, process):
        _register_and_fetch(base_url)
        assert (data_dir / "postmaster.pid").exists()
    assert process.returncode == 0
    assert not (data_dir / "postmaster.pid").exists(), "the embedded server is stopped on exit"

    with serving(EMBEDDED_POSTGRES_DIR=str(data_dir)) as (base_url, _):
        users = httpx.get(f"{base_url}/users/").json()
    assert [user["username"] for user in users] == ["cli"], "data outlives a restart"


def test_serve_with_the_memory_repository_needs_no_database() -> None:
    with serving(REPOSITORY="memory", DATABASE_URL="") as (base_url, process):
        body = _register_and_fetch(base_url)
        assert httpx.get(f"{base_url}/users/").json() == [body]
    assert process.returncode == 0


@pytest.mark.postgres
def test_migrate_upgrades_database_url_to_head(create_database: Callable[[], str]) -> None:
    url = create_database()

    result = subprocess.run(
        [*CLI, "migrate"],
        cwd=PROJECT_ROOT,
        env=command_environment(DATABASE_URL=libpq_url(url)),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "Migrated postgresql://" in result.stdout
    with psycopg.connect(libpq_url(url)) as connection:
        version = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    assert version == (migrator.head_revision(),)


def _refused_serve(*options: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """Run `serve` with settings it must refuse, so that it exits before serving."""
    return subprocess.run(
        [*CLI, "serve", *options],
        cwd=PROJECT_ROOT,
        env=command_environment(**environment),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_serve_refuses_to_start_in_production_with_the_default_secret() -> None:
    result = _refused_serve(ENVIRONMENT="production", REPOSITORY="memory")

    assert result.returncode == 2
    assert "JWT_SECRET is not set" in result.stderr


@pytest.mark.parametrize(
    ("options", "environment"), [(["--workers", "2"], {}), ([], {"WORKERS": "3"})]
)
def test_serve_refuses_several_workers_on_the_memory_repository(
    options: list[str], environment: dict[str, str]
) -> None:
    result = _refused_serve(*options, REPOSITORY="memory", **environment)

    assert result.returncode == 2
    assert "REPOSITORY=memory keeps the data inside one process" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_several_workers_counting_rate_limits_in_memory() -> None:
    result = _refused_serve("--workers", "2", RATE_LIMIT_STORAGE="memory")

    assert result.returncode == 2
    assert "RATE_LIMIT_STORAGE=memory counts inside one process" in result.stderr
    assert "Traceback" not in result.stderr
