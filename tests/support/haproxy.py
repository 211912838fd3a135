"""HAProxy with the project's own deploy/haproxy.cfg, started by the tests on loopback.

Debian's `haproxy` package provides the binary; `scripts/install-haproxy`
installs it, and so does `find_haproxy` when the tests run as root on a
machine with apt-get. The configuration is the compose file's, with the
addresses it reads from the environment pointed at loopback ports.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tests.support.live_server import free_port
from tests.support.paths import PROJECT_ROOT

CONFIG: Final = PROJECT_ROOT / "deploy" / "haproxy.cfg"
INSTALL_SCRIPT: Final = PROJECT_ROOT / "scripts" / "install-haproxy"
_SEARCH_PATH: Final = f"{os.environ.get('PATH', '')}:/usr/sbin:/usr/local/sbin"
_START_TIMEOUT_SECONDS: Final = 20


class HaproxyUnavailableError(RuntimeError):
    """HAProxy is not installed and could not be installed; the message says why."""


def find_haproxy() -> str:
    """The haproxy binary; installed with the project's script when root has apt-get."""
    binary = shutil.which("haproxy", path=_SEARCH_PATH)
    if binary is not None:
        return binary
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise HaproxyUnavailableError(
            "haproxy is not installed (Debian: apt-get install haproxy, "
            "or run scripts/install-haproxy as root)"
        )
    installed = subprocess.run(
        [str(INSTALL_SCRIPT)], capture_output=True, text=True, check=False, timeout=600
    )
    binary = shutil.which("haproxy", path=_SEARCH_PATH)
    if installed.returncode != 0 or binary is None:
        raise HaproxyUnavailableError(
            f"haproxy could not be installed: {installed.stdout}{installed.stderr}"[-2000:]
        )
    return binary


@dataclass(frozen=True)
class Haproxy:
    url: str
    stats_socket: Path
    log: Path

    def command(self, line: str) -> str:
        """One command on the runtime API (`show stat`, say), and its answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(5)
            connection.connect(str(self.stats_socket))
            connection.sendall(f"{line}\n".encode())
            chunks = []
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def servers(self) -> dict[str, dict[str, str]]:
        """`show stat` of the backend's servers, by name: status, wretr, wredis, hrsp_5xx..."""
        lines = self.command("show stat").splitlines()
        header = lines[0].removeprefix("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {
            row["svname"]: row
            for row in rows
            if row.get("pxname") == "api" and row["svname"] not in {"FRONTEND", "BACKEND"}
        }

    def wait_until(self, server: str, status: str, timeout: float = 30) -> None:
        """Return once `server`'s health checks have made its status `status` (UP, DOWN)."""
        deadline = time.monotonic() + timeout
        while (seen := self.servers()[server]["status"]) != status:
            if time.monotonic() > deadline:
                raise AssertionError(f"{server} is still {seen}, not {status}")
            time.sleep(0.05)

    def wait_until_idle(self, server: str, timeout: float = 30) -> None:
        """Return once no request is in flight on `server` (its `scur` is 0)."""
        deadline = time.monotonic() + timeout
        while (current := self.servers()[server]["scur"]) != "0":
            if time.monotonic() > deadline:
                raise AssertionError(f"{server} still has {current} requests in flight")
            time.sleep(0.02)


@contextmanager
def running_haproxy(binary: str, instances: Sequence[str]) -> Iterator[Haproxy]:
    """Run HAProxy with deploy/haproxy.cfg in front of `instances` (two host:port) until the
    block ends."""
    folder = Path(tempfile.mkdtemp(prefix="users-posts-haproxy-"))
    port = free_port()
    stats_socket = folder / "stats.sock"
    environment = {
        **os.environ,
        "HAPROXY_BIND": f"127.0.0.1:{port}",
        "API_1": instances[0],
        "API_2": instances[1],
        "HAPROXY_STATS_SOCKET": str(stats_socket),
    }
    log = folder / "haproxy.log"
    # -db: stay in the foreground; its log goes to a file, as a pipe nobody reads fills up.
    with log.open("w") as output:
        process = subprocess.Popen(
            [binary, "-db", "-f", str(CONFIG)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while not stats_socket.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise HaproxyUnavailableError(f"haproxy did not start: {log.read_text()[-2000:]}")
            time.sleep(0.05)
        yield Haproxy(url=f"http://127.0.0.1:{port}", stats_socket=stats_socket, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)
