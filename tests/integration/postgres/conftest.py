"""A primary and its real streaming standby, for the replica, lag and failover tests.

They get a pair of their own rather than the session's test server: pausing
a replay, promoting a standby or making a standby synchronous must not reach
the rest of the suite, and TEST_DATABASE_URL's server may be one whose data
folder the embedded binaries cannot copy. Both servers are the embedded
binaries on loopback ports, with data folders in a temporary folder.
"""

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import psycopg
import pytest

from infrastructure.persistence import migrator
from infrastructure.persistence.embedded import EmbeddedPostgres
from infrastructure.persistence.tables import metadata
from tests.conftest import execute_autocommit, in_thread, libpq_url
from tests.support.live_server import free_port
from tests.support.standby import Standby, make_standby

DATABASE: Final = "app"


@dataclass(frozen=True)
class StreamingPair:
    """The primary, its standby, and the migrated database both hold."""

    primary: EmbeddedPostgres
    standby: Standby
    folder: Path

    @property
    def primary_url(self) -> str:
        return self.primary.url_for(DATABASE)

    @property
    def standby_url(self) -> str:
        return self.standby.url_for(DATABASE)

    def connect_primary(self) -> psycopg.Connection:
        return psycopg.connect(libpq_url(self.primary_url), autocommit=True)

    def new_standby(self, name: str) -> Standby:
        """Another standby of the same primary (for a test that promotes one)."""
        return make_standby(self.primary, self.folder / name, free_port())


@pytest.fixture(scope="session")
def streaming_pair() -> Iterator[StreamingPair]:
    folder = Path(tempfile.mkdtemp(prefix="users-posts-replication-"))
    primary = EmbeddedPostgres(folder / "primary", durable=False, port=free_port())
    try:
        primary.start()
        execute_autocommit(primary.url, f'CREATE DATABASE "{DATABASE}"')
        in_thread(migrator.upgrade, primary.url_for(DATABASE))
        standby = make_standby(primary, folder / "standby", free_port())
        try:
            yield StreamingPair(primary=primary, standby=standby, folder=folder)
        finally:
            standby.stop()
    finally:
        primary.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def replication(streaming_pair: StreamingPair) -> Iterator[StreamingPair]:
    """The pair, left as found: replay resumed, tables emptied, the standby caught up."""
    yield streaming_pair
    if not streaming_pair.standby.server.is_running():
        streaming_pair.standby.start()
    streaming_pair.standby.resume_replay()
    tables = ", ".join(table.name for table in metadata.sorted_tables)
    with streaming_pair.connect_primary() as connection:
        connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE".encode())
    streaming_pair.standby.catch_up()
