"""A real streaming standby of an embedded primary: `pg_basebackup -R`, then a hot standby.

What DATABASE_REPLICA_URL points at in production, on loopback: the standby
connects to the primary over TCP, streams its WAL and replays it, and answers
read-only queries meanwhile (hot standby, PostgreSQL's default). Lag is made on
purpose by pausing the replay (`pg_wal_replay_pause()`): the WAL still arrives,
but nothing of it becomes visible until the replay resumes.
"""

import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import psycopg

from infrastructure.persistence import wal
from infrastructure.persistence.embedded import EmbeddedPostgres
from tests.conftest import libpq_url

_CATCH_UP_TIMEOUT_SECONDS: Final = 30
_POLL_SECONDS: Final = 0.02


class StandbyError(RuntimeError):
    """The standby could not be made, or did not reach the state it was asked for in time."""


@dataclass(frozen=True)
class Standby:
    """A running hot standby, on a loopback port of its own."""

    server: EmbeddedPostgres
    primary: EmbeddedPostgres

    def url_for(self, database: str) -> str:
        return self.server.url_for(database)

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(libpq_url(self.url_for(database)), autocommit=True)

    def pause_replay(self) -> None:
        """Stop replaying WAL, and return once the replay has actually stopped."""
        with self.connect() as connection:
            connection.execute("SELECT pg_wal_replay_pause()")
            _wait(
                lambda: _one(connection, "SELECT pg_get_wal_replay_pause_state()") == "paused",
                "the replay did not pause",
            )

    def resume_replay(self) -> None:
        with self.connect() as connection:
            if _one(connection, "SELECT pg_is_in_recovery()"):
                connection.execute("SELECT pg_wal_replay_resume()")

    def catch_up(self) -> None:
        """Return once the standby has replayed everything the primary has written so far."""
        with psycopg.connect(libpq_url(self.primary.url), autocommit=True) as primary:
            inserted = wal.parse(str(_one(primary, "SELECT pg_current_wal_insert_lsn()")))
        assert inserted is not None
        target = wal.format_position(wal.record_end(inserted))
        with self.connect() as connection:
            _wait(
                lambda: bool(
                    _one(
                        connection,
                        f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn",
                    )
                ),
                f"the standby did not replay up to {target}",
            )

    def promote(self) -> None:
        """`pg_ctl promote -w`: end recovery, and return once it accepts writes."""
        _run(self.server, "pg_ctl", "promote", "-w", "-D", str(self.server.data_dir))

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server.start()


def make_standby(
    primary: EmbeddedPostgres, data_dir: Path, port: int, *, application_name: str = "standby"
) -> Standby:
    """Copy the running `primary` into `data_dir` with `pg_basebackup -R`, then start it.

    `-R` writes `standby.signal` and the `primary_conninfo` the base backup
    itself used (loopback TCP), so the copy starts as a standby streaming from
    the primary. `data_dir` must not exist yet; its parent must be the
    primary's (so that the system user the server runs as can reach it).
    """
    if primary.port is None:
        raise StandbyError("the primary must listen on a loopback port to be streamed from")
    data_dir.mkdir(mode=0o700)
    if primary.system_user is not None:
        shutil.chown(data_dir, primary.system_user, primary.system_user)
    _run(
        primary,
        "pg_basebackup",
        "--host=127.0.0.1",
        f"--port={primary.port}",
        "--username=postgres",
        f"--dbname=application_name={application_name}",
        f"--pgdata={data_dir}",
        "--write-recovery-conf",
        "--wal-method=stream",
        "--checkpoint=fast",
        "--no-sync",
    )
    server = EmbeddedPostgres(data_dir, durable=False, port=port)
    server.start()
    standby = Standby(server=server, primary=primary)
    standby.catch_up()
    return standby


def crash(server: EmbeddedPostgres) -> None:
    """`pg_ctl stop -m immediate`: gone at once, with no shutdown checkpoint, as in a crash."""
    _run(server, "pg_ctl", "stop", "-m", "immediate", "-D", str(server.data_dir))


def _run(server: EmbeddedPostgres, tool: str, *arguments: str) -> None:
    result = subprocess.run(
        [str(server.tool(tool)), *arguments],
        capture_output=True,
        text=True,
        check=False,
        user=server.system_user,
        cwd="/",
        timeout=120,
    )
    if result.returncode != 0:
        raise StandbyError(f"{tool} failed ({result.returncode}): {result.stdout}{result.stderr}")


def _one(connection: psycopg.Connection, sql: str) -> object:
    row = connection.execute(sql.encode()).fetchone()
    return None if row is None else row[0]


def _wait(condition: Callable[[], bool], failure: str) -> None:
    deadline = time.monotonic() + _CATCH_UP_TIMEOUT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise StandbyError(failure)
        time.sleep(_POLL_SECONDS)
