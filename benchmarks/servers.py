"""The servers under test as child processes: pinned, awaited, measured and always stopped."""

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from benchmarks.paths import PROJECT_ROOT

HOST: Final = "127.0.0.1"
_READY_TIMEOUT_SECONDS: Final = 60
_STOP_GRACE_SECONDS: Final = 15
_POLL_SECONDS: Final = 0.2


@dataclass(frozen=True, slots=True)
class Cpus:
    """Where the server under test and wrk run: one core each, so neither steals the other's."""

    server: tuple[str, ...]
    wrk: tuple[str, ...]

    @property
    def pinned(self) -> bool:
        return bool(self.server)

    def with_wrk_core(self) -> "Cpus":
        """The server on its own core and on wrk's, wrk still on its own: for a server of
        several workers, which one core would hold to one core's worth of work."""
        if not self.pinned:
            return self
        taskset, option, core = self.server
        return Cpus(server=(taskset, option, f"{core},{self.wrk[-1]}"), wrk=self.wrk)


def plan_cpus() -> Cpus:
    """Pin with taskset to two different allowed cores, or not at all when that is impossible."""
    allowed = sorted(os.sched_getaffinity(0))
    taskset = shutil.which("taskset")
    if taskset is None or len(allowed) < 2:  # noqa: PLR2004 - one core for each side
        return Cpus(server=(), wrk=())
    return Cpus(
        server=(taskset, "--cpu-list", str(allowed[0])),
        wrk=(taskset, "--cpu-list", str(allowed[1])),
    )


@dataclass(frozen=True, slots=True)
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def peak_rss_kib(self) -> int | None:
        """VmHWM: the most resident memory the process has held since it started, or since
        `reset_peak_rss`."""
        return self._status_kib("VmHWM")

    def reset_peak_rss(self) -> bool:
        """Start VmHWM again from the current RSS (Linux 4.0 and later); False if refused."""
        try:
            Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def rss_kib(self) -> int | None:
        """VmRSS: what it holds now. Far below the peak, the peak was a passing allocation
        (an argon2 hash holds its whole memory cost while it runs)."""
        return self._status_kib("VmRSS")

    def _status_kib(self, field: str) -> int | None:
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
        return None


def free_port() -> int:
    """A port the kernel just handed out on loopback, very likely still free a moment later."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running(
    name: str,
    command: Sequence[str],
    *,
    port: int,
    environment: Mapping[str, str],
    log: Path,
    ready_path: str,
) -> Iterator[Server]:
    """Start `command`, wait until `ready_path` answers 2xx, and stop it on the way out.

    The child gets a session of its own, so a Ctrl-C in the terminal reaches
    the harness alone, which then stops the servers in order.
    """
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            list(command),
            cwd=PROJECT_ROOT,
            env=dict(environment),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(name=name, process=process, port=port, log=log)
    try:
        _wait_until_ready(server, ready_path)
        yield server
    finally:
        stop(server)


def stop(server: Server) -> None:
    """SIGTERM (uvicorn's graceful shutdown), then SIGKILL if it takes too long."""
    process = server.process
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=_STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=_STOP_GRACE_SECONDS)


def _wait_until_ready(server: Server, path: str) -> None:
    deadline = time.monotonic() + _READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the {server.name} exited while starting:\n{_tail(server.log)}")
        if _answers(server.base_url + path):
            return
        time.sleep(_POLL_SECONDS)
    raise RuntimeError(
        f"the {server.name} did not answer within {_READY_TIMEOUT_SECONDS} s:\n{_tail(server.log)}"
    )


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own http URL
            status: int = response.status
            return 200 <= status < 300  # noqa: PLR2004
    except (urllib.error.URLError, OSError):
        return False


def _tail(log: Path, size: int = 3000) -> str:
    try:
        return log.read_text(errors="replace")[-size:]
    except OSError:
        return "(no log)"
