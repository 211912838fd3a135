"""A PostgreSQL these tests own, stop and start, and the figures they print.

The session's test server (tests/conftest.py) is shared by every other test,
so the fault scenarios get a server of their own: the embedded binaries,
listening on a loopback port of its own so that its URL survives a restart.
"""

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from infrastructure.persistence import migrator
from infrastructure.persistence.database import APPLICATION_NAME
from infrastructure.persistence.embedded import EmbeddedPostgres
from tests.conftest import execute_autocommit, in_thread, libpq_url
from tests.resilience import figures
from tests.support.live_server import free_port


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if figures.LINES:
        terminalreporter.write_sep("-", "resilience: what each scenario proved")
        for line in figures.LINES:
            terminalreporter.write_line(line)


@dataclass(frozen=True)
class ControlledPostgres:
    """A running PostgreSQL server that a test may stop and start again."""

    server: EmbeddedPostgres

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        """Start it again, and return once it accepts connections (`pg_ctl start -w`)."""
        self.server.start()

    def connect(self, database: str) -> psycopg.Connection:
        """A connection of the test's own, in autocommit, to look into or disturb the database."""
        return psycopg.connect(libpq_url(self.server.url_for(database)), autocommit=True)

    def terminate_service_connections(self, database: str) -> int:
        """pg_terminate_backend on every connection the service holds; return how many.

        Each call waits (up to 5 s) until its process is gone, so a request
        sent after this returns cannot find one of them still alive.
        """
        with self.connect(database) as connection:
            row = connection.execute(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000))"
                " FROM pg_stat_activity WHERE application_name = %s",
                [APPLICATION_NAME],
            ).fetchone()
        return int(row[0]) if row else 0


@pytest.fixture(scope="session")
def controlled_postgres() -> Iterator[ControlledPostgres]:
    data_dir = Path(tempfile.mkdtemp(prefix="users-posts-faults-pg-"))
    server = EmbeddedPostgres(data_dir, durable=False, port=free_port())
    server.start()
    try:
        yield ControlledPostgres(server)
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def faults_database(controlled_postgres: ControlledPostgres) -> Iterator[str]:
    """A fresh, migrated database on the controlled server; its name."""
    name = f"faults_{uuid.uuid4().hex[:12]}"
    maintenance = controlled_postgres.server.url
    execute_autocommit(maintenance, f'CREATE DATABASE "{name}"')
    in_thread(migrator.upgrade, controlled_postgres.server.url_for(name))
    yield name
    # A scenario that failed midway may have left the server stopped.
    controlled_postgres.start()
    execute_autocommit(maintenance, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
