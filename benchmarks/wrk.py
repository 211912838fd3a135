"""Running wrk and reading what it measured."""

import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from benchmarks.debian import ensure_command
from benchmarks.lua import RESULT_PREFIX

THREADS: Final = 1
"""One wrk thread outpaces a one-worker Python server many times over, and keeps wrk on its core."""

_EXTRA_SECONDS: Final = 30
"""How much longer than its duration a wrk run may take before it counts as hung."""


@dataclass(frozen=True, slots=True)
class Job:
    """One wrk invocation: where, with which script and arguments."""

    url: str
    script: Path
    script_args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Result:
    """What one wrk run measured."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    non2xx: int
    socket_errors: int
    timeouts: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.non2xx + self.socket_errors + self.timeouts

    @property
    def tail(self) -> float | None:
        """p99 over p50: how much slower the slowest requests were than the typical one,
        a ratio that does not move with the machine's speed as milliseconds do."""
        return self.p99_ms / self.p50_ms if self.p50_ms else None


def ensure_wrk() -> str:
    """Find wrk, installing Debian's package when missing and allowed to (root with apt-get)."""
    return ensure_command("wrk")


def run(
    wrk: str,
    job: Job,
    *,
    connections: int,
    seconds: int,
    timeout: int,
    cpu_prefix: Sequence[str] = (),
) -> Result:
    """Drive `job` for `seconds` and return its numbers; a hung wrk is killed, not waited for."""
    command = [
        *cpu_prefix,
        wrk,
        f"--threads={THREADS}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        f"--timeout={timeout}s",
        f"--script={job.script}",
        job.url,
        "--",
        *job.script_args,
    ]
    completed = subprocess.run(  # noqa: S603 - our own arguments
        command,
        capture_output=True,
        text=True,
        timeout=seconds + timeout + _EXTRA_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    return parse(completed.stdout)


def parse(output: str) -> Result:
    """Read the line that the scripts' `done` prints."""
    for line in output.splitlines():
        if line.startswith(RESULT_PREFIX):
            numbers = json.loads(line.removeprefix(RESULT_PREFIX))
            return Result(
                requests=int(numbers["requests"]),
                seconds=numbers["duration_us"] / 1e6,
                p50_ms=numbers["p50_us"] / 1e3,
                p99_ms=numbers["p99_us"] / 1e3,
                max_ms=numbers["max_us"] / 1e3,
                non2xx=int(numbers["non2xx"]),
                socket_errors=int(numbers["connect"] + numbers["read"] + numbers["write"]),
                timeouts=int(numbers["timeout"]),
            )
    raise RuntimeError(f"wrk printed no result line:\n{output[-2000:]}")
