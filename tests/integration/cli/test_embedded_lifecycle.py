"""The embedded PostgreSQL's life under `serve`, as a newcomer meets it: real processes, signals.

Ctrl-C while the cluster is being made, a closed terminal, a killed serve,
two serves on one folder, a port already taken: each is done to a real
`python -m interfaces serve`, and the data folder and the server's process
are looked at afterwards. Making a cluster costs seconds, so the scenarios
that need a whole one share one per module.
"""

import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from infrastructure.persistence.embedded import EmbeddedPostgres, embedded_postgres
from infrastructure.persistence.embedded_cluster import MARKER, ClusterState, inspect
from tests.conftest import libpq_url
from tests.support.cli import CLI
from tests.support.live_server import command_environment, free_port, serving
from tests.support.paths import PROJECT_ROOT

SIGNAL_TIMEOUT_SECONDS = 30


def _postmaster(data_dir: Path) -> int | None:
    """The pid of the server running on `data_dir`, or None when none runs.

    `pg_ctl stop -w` returns once the server has removed postmaster.pid; the
    process itself may linger as a zombie where nothing reaps orphans (a
    container's pid 1), so the file is what tells.
    """
    try:
        pid = int((data_dir / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def _register(base_url: str) -> dict[str, object]:
    name = f"u{uuid.uuid4().hex[:12]}"
    created = httpx.post(
        f"{base_url}/users/",
        json={"email": f"{name}@example.com", "username": name, "password": "pass-word-1"},
    )
    assert created.status_code == 201, created.text
    body: dict[str, object] = created.json()
    return body


def _usernames(base_url: str) -> list[object]:
    answer = httpx.get(f"{base_url}/users/", params={"limit": 100})
    assert answer.status_code == 200, answer.text
    return [user["username"] for user in answer.json()]


def _stop(process: subprocess.Popen[str], signum: int) -> int:
    process.send_signal(signum)
    return process.wait(timeout=SIGNAL_TIMEOUT_SECONDS)


def _cli(*arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *arguments],
        cwd=PROJECT_ROOT,
        env=command_environment(**environment),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A whole cluster, made once for the module and stopped between tests."""
    data_dir = tmp_path_factory.mktemp("lifecycle") / "postgres"
    with embedded_postgres(data_dir):
        pass
    yield data_dir
    EmbeddedPostgres(data_dir).stop()


@pytest.fixture
def stopped(cluster: Path) -> Iterator[Path]:
    """The module's cluster, not running when the test starts, and stopped after it."""
    assert _postmaster(cluster) is None
    yield cluster
    EmbeddedPostgres(cluster).stop()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_serve_stops_the_embedded_postgres_on_ctrl_c_terminate_and_hang_up(
    stopped: Path, signum: int
) -> None:
    with serving(EMBEDDED_POSTGRES_DIR=str(stopped)) as (base_url, process):
        _register(base_url)
        server = _postmaster(stopped)
        assert server is not None

        assert _stop(process, signum) == 0

    assert _postmaster(stopped) is None


def test_a_server_left_by_a_killed_serve_is_taken_over_and_stopped_by_the_next(
    stopped: Path,
) -> None:
    with serving(EMBEDDED_POSTGRES_DIR=str(stopped)) as (base_url, process):
        written = _register(base_url)
        _stop(process, signal.SIGKILL)
    orphan = _postmaster(stopped)
    assert orphan is not None, "SIGKILL cannot be caught: the server is left running"

    with serving(EMBEDDED_POSTGRES_DIR=str(stopped)) as (base_url, process):
        assert written["username"] in _usernames(base_url)
        assert _postmaster(stopped) == orphan, "the orphan is used, not duplicated"
        assert _stop(process, signal.SIGTERM) == 0

    assert _postmaster(stopped) is None


def test_db_stop_stops_an_orphan_and_says_when_none_runs(stopped: Path) -> None:
    with serving(EMBEDDED_POSTGRES_DIR=str(stopped)) as (_, process):
        _stop(process, signal.SIGKILL)
    assert _postmaster(stopped) is not None

    first = _cli("db", "stop", EMBEDDED_POSTGRES_DIR=str(stopped))
    assert first.returncode == 0, first.stderr
    assert f"Stopped the embedded PostgreSQL in {stopped}" in first.stdout
    assert _postmaster(stopped) is None

    again = _cli("db", "stop", EMBEDDED_POSTGRES_DIR=str(stopped))
    assert again.returncode == 0, again.stderr
    assert f"No embedded PostgreSQL runs in {stopped}" in again.stdout


def test_db_stop_refuses_while_a_serve_uses_the_server(stopped: Path) -> None:
    with serving(EMBEDDED_POSTGRES_DIR=str(stopped)) as (base_url, _):
        result = _cli("db", "stop", EMBEDDED_POSTGRES_DIR=str(stopped))

        assert result.returncode == 1
        assert "is in use by another command" in result.stderr
        _register(base_url)


def test_two_serves_share_the_server_and_the_last_to_end_stops_it(stopped: Path) -> None:
    environment = {"EMBEDDED_POSTGRES_DIR": str(stopped)}
    with serving(**environment) as (first_url, first), serving(**environment) as (second_url, _):
        server = _postmaster(stopped)
        written = _register(first_url)

        assert _stop(first, signal.SIGTERM) == 0

        assert _postmaster(stopped) == server, "still used by the second serve"
        assert written["username"] in _usernames(second_url)
        _register(second_url)

    assert _postmaster(stopped) is None


def test_a_cluster_made_before_the_marker_keeps_its_data_and_is_marked(stopped: Path) -> None:
    with serving(EMBEDDED_POSTGRES_DIR=str(stopped)) as (base_url, _):
        written = _register(base_url)
    (stopped / MARKER).unlink()
    assert inspect(stopped) is ClusterState.UNVERIFIED

    with serving(EMBEDDED_POSTGRES_DIR=str(stopped)) as (base_url, _):
        assert written["username"] in _usernames(base_url)

    assert inspect(stopped) is ClusterState.READY


def test_ctrl_c_while_the_cluster_is_made_does_not_block_the_next_serve(tmp_path: Path) -> None:
    data_dir = tmp_path / "postgres"
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(free_port())],
        cwd=PROJECT_ROOT,
        env=command_environment(EMBEDDED_POSTGRES_DIR=str(data_dir)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (data_dir / "global").exists():
            assert process.poll() is None, "serve ended before initdb began"
            assert time.monotonic() < deadline, "initdb never began"
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=SIGNAL_TIMEOUT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert inspect(data_dir) in {ClusterState.HALF_MADE, ClusterState.UNVERIFIED}

    with serving(EMBEDDED_POSTGRES_DIR=str(data_dir)) as (base_url, _):
        _register(base_url)

    assert inspect(data_dir) is ClusterState.READY
    assert _postmaster(data_dir) is None


def test_an_initdb_stopped_before_its_control_file_is_made_again(tmp_path: Path) -> None:
    """What once stopped every later run with initdb's "directory exists but is not empty"."""
    data_dir = tmp_path / "postgres"
    for folder in ("base/1", "global", "pg_wal", "pg_xact"):
        (data_dir / folder).mkdir(parents=True)
    (data_dir / "PG_VERSION").write_text("18\n")
    assert inspect(data_dir) is ClusterState.HALF_MADE

    with serving(EMBEDDED_POSTGRES_DIR=str(data_dir)) as (base_url, _):
        _register(base_url)

    assert inspect(data_dir) is ClusterState.READY


def test_a_cluster_without_its_postgres_database_is_made_again(tmp_path: Path) -> None:
    """What an initdb stopped between template0 and `postgres` leaves: once FATAL at every run."""
    data_dir = tmp_path / "postgres"
    server = EmbeddedPostgres(data_dir, durable=False)
    server.start()
    with psycopg.connect(libpq_url(server.url_for("template1")), autocommit=True) as connection:
        connection.execute("DROP DATABASE postgres")
    server.stop()
    (data_dir / MARKER).unlink()

    with serving(EMBEDDED_POSTGRES_DIR=str(data_dir)) as (base_url, _):
        _register(base_url)

    assert inspect(data_dir) is ClusterState.READY
    assert _postmaster(data_dir) is None


def test_a_cluster_whose_template1_initdb_did_not_finish_is_made_again(tmp_path: Path) -> None:
    """What an initdb stopped while it copied template1 leaves: the server starts, and every
    connection is refused with `"base/1" is not a valid data directory`."""
    data_dir = tmp_path / "postgres"
    server = EmbeddedPostgres(data_dir, durable=False)
    server.start()
    server.stop()
    (data_dir / MARKER).unlink()
    (data_dir / "base" / "1" / "PG_VERSION").unlink()

    with serving(EMBEDDED_POSTGRES_DIR=str(data_dir)) as (base_url, _):
        _register(base_url)

    assert inspect(data_dir) is ClusterState.READY
    assert _postmaster(data_dir) is None


def test_a_folder_holding_other_files_is_left_alone(tmp_path: Path) -> None:
    data_dir = tmp_path / "not-a-cluster"
    data_dir.mkdir()
    (data_dir / "notes.txt").write_text("mine")

    result = _cli("serve", "--port", str(free_port()), EMBEDDED_POSTGRES_DIR=str(data_dir))

    assert result.returncode == 3
    assert "holds files that are not a PostgreSQL cluster's (notes.txt)" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(entry.name for entry in data_dir.iterdir()) == ["notes.txt"]


def test_serve_on_a_taken_port_exits_5_before_touching_the_database(tmp_path: Path) -> None:
    data_dir = tmp_path / "postgres"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = _cli(
            "serve", "--port", str(port), "--migrate", EMBEDDED_POSTGRES_DIR=str(data_dir)
        )

    assert result.returncode == 5
    assert f"127.0.0.1:{port} is already in use" in result.stderr
    assert "Traceback" not in result.stderr
    assert not data_dir.exists(), "no embedded server was made, let alone migrated"
