"""PgBouncer in transaction pooling mode, started by the tests on loopback.

Debian's `pgbouncer` package provides the binary; `scripts/install-pgbouncer`
installs it, and so does `find_pgbouncer` when the tests run as root on a
machine with apt-get. Each run writes its own configuration in a temporary
folder and starts its own PgBouncer on a free port: a system one (the package
may start one on 6432) is never used.
"""

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy import make_url

from tests.support.paths import PROJECT_ROOT

INSTALL_SCRIPT: Final = PROJECT_ROOT / "scripts" / "install-pgbouncer"
# Debian installs it in /usr/sbin, which is not on an unprivileged PATH.
_SEARCH_PATH: Final = f"{os.environ.get('PATH', '')}:/usr/sbin:/usr/local/sbin"
_START_TIMEOUT_SECONDS: Final = 20
# Fewer server connections than the app's pool has client connections, so that
# transactions of one client really do move between server connections.
SERVER_POOL_SIZE: Final = 5


class PgBouncerUnavailableError(RuntimeError):
    """PgBouncer is not installed and could not be installed; the message says why."""


@dataclass(frozen=True)
class PgBouncer:
    port: int
    log: Path

    def url_for(self, database_url: str) -> str:
        """`database_url` with PgBouncer in front: same database and user, its port on loopback."""
        url = make_url(database_url).difference_update_query(["host", "port"])
        return url.set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def logins(self, database_url: str) -> int:
        """How many clients have logged in through this PgBouncer to `database_url`'s database."""
        return self.log.read_text().count(f"login attempt: db={make_url(database_url).database} ")


def version(binary: str) -> tuple[int, int]:
    output = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"PgBouncer (\d+)\.(\d+)", output)
    if found is None:
        raise PgBouncerUnavailableError(f"cannot read the version of {binary}: {output!r}")
    return int(found[1]), int(found[2])


def find_pgbouncer() -> str:
    """The pgbouncer binary; installed with the project's script when root has apt-get."""
    binary = shutil.which("pgbouncer", path=_SEARCH_PATH)
    if binary is not None:
        return binary
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise PgBouncerUnavailableError(
            "pgbouncer is not installed (Debian: apt-get install pgbouncer, "
            "or run scripts/install-pgbouncer as root)"
        )
    installed = subprocess.run(
        [str(INSTALL_SCRIPT)], capture_output=True, text=True, check=False, timeout=600
    )
    binary = shutil.which("pgbouncer", path=_SEARCH_PATH)
    if installed.returncode != 0 or binary is None:
        raise PgBouncerUnavailableError(
            f"pgbouncer could not be installed: {installed.stdout}{installed.stderr}"[-2000:]
        )
    return binary


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _run_as(backend_host: str) -> str | None:
    """PgBouncer refuses to run as root; as root it runs as a user who can reach the server.

    For a server on a Unix socket that is the socket folder's owner (the
    embedded server keeps its socket in its data folder, open to its owner only).
    """
    if os.geteuid() != 0:
        return None
    if backend_host.startswith("/"):
        return pwd.getpwuid(Path(backend_host).stat().st_uid).pw_name
    return "nobody"


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


@contextmanager
def running_pgbouncer(binary: str, server_url: str) -> Iterator[PgBouncer]:
    """Run PgBouncer in front of the server of `server_url` until the block ends.

    Every database name goes to that server (`*`), so databases created
    during the run are reachable through it too. Clients are trusted on
    loopback; PgBouncer logs in to the server as the client's user, with the
    password of `server_url` when it has one.
    """
    server = make_url(server_url)
    host = server.host or str(server.query.get("host", "127.0.0.1"))
    port = server.port or int(str(server.query.get("port", "5432")))
    user = server.username or "postgres"
    folder = Path(tempfile.mkdtemp(prefix="users-posts-pgbouncer-"))
    listen_port = _free_port()
    (folder / "users.txt").write_text(f"{_quoted(user)} {_quoted(server.password or '')}\n")
    settings = [
        "[databases]",
        f"* = host={host} port={port}",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {listen_port}",
        "unix_socket_dir =",
        "auth_type = trust",
        f"auth_file = {folder / 'users.txt'}",
        "pool_mode = transaction",
        f"default_pool_size = {SERVER_POOL_SIZE}",
        "max_client_conn = 500",
    ]
    if version(binary) >= (1, 21):
        # Newer PgBouncers can carry prepared statements between server
        # connections; this one is kept to what Debian 12's 1.18 does.
        settings.append("max_prepared_statements = 0")
    (folder / "pgbouncer.ini").write_text("\n".join([*settings, ""]))
    run_as = _run_as(host)
    command = [binary, *(["-u", run_as] if run_as else []), str(folder / "pgbouncer.ini")]
    if run_as is not None:
        for path in (folder, *folder.iterdir()):
            shutil.chown(path, run_as)
    log = folder / "pgbouncer.log"
    # Its log goes to a file, not a pipe: a pipe nobody reads fills up and blocks it.
    with log.open("w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_for(listen_port, process, log)
        yield PgBouncer(port=listen_port, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for(port: int, process: "subprocess.Popen[bytes]", log: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while True:
        if process.poll() is not None:
            raise PgBouncerUnavailableError(
                f"pgbouncer exited with {process.returncode}: {log.read_text()[-2000:]}"
            )
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise PgBouncerUnavailableError("pgbouncer did not listen in time") from None
            time.sleep(0.05)
