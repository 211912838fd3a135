"""What the machine was doing and which code ran: context that makes a result comparable."""

import platform
import shutil
import subprocess
from pathlib import Path
from typing import Final

from benchmarks.paths import PROJECT_ROOT

OTHERS_ABOVE: Final = 0.05
"""More CPU than this used by other processes during a run, and its numbers are not clean."""


def _jiffies(fields: list[str]) -> int:
    """utime + stime + cutime + cstime: the process's CPU and that of the children it reaped."""
    return sum(int(value) for value in fields[11:15])


def _processes() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, CPU jiffies) for every process still readable."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: split after its last ")".
        fields = text[text.rindex(")") + 2 :].split()
        found[int(entry.name)] = (int(fields[1]), _jiffies(fields))
    return found


def _descendants(processes: dict[int, tuple[int, int]], roots: set[int]) -> set[int]:
    family = {pid for pid in roots if pid in processes}
    grew = True
    while grew:
        children = {pid for pid, (parent, _) in processes.items() if parent in family}
        grew = not children <= family
        family |= children
    return family


class CpuWatch:
    """Measures how much CPU processes outside the benchmark used while it ran.

    Everything that is not the harness, its children (the servers, wrk) or
    the embedded PostgreSQL's processes counts as other work: a test suite
    running next to the benchmark slows both servers down and makes the
    repetitions disagree. User and system time only: the loopback traffic's
    interrupt time belongs to no process.
    """

    def __init__(self, roots: set[int]) -> None:
        self._roots = roots
        self._mark: tuple[int, int, dict[int, int]] | None = None

    def start(self) -> None:
        self._mark = self._sample()

    def others(self) -> float | None:
        """The share of all cores that other processes used since `start`."""
        if self._mark is None:
            return None
        busy_before, total_before, ours_before = self._mark
        busy, total, ours = self._sample()
        if total <= total_before:
            return None
        our_share = sum(jiffies - ours_before.get(pid, 0) for pid, jiffies in ours.items())
        return max(busy - busy_before - our_share, 0) / (total - total_before)

    def _sample(self) -> tuple[int, int, dict[int, int]]:
        processes = _processes()
        ours = {pid: processes[pid][1] for pid in _descendants(processes, self._roots)}
        try:
            values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        except OSError:
            return 0, 0, ours
        return values[0] + values[1] + values[2], sum(values[:8]), ours


def git_commit() -> str | None:
    """The checked-out commit; read-only (`rev-parse` touches neither the index nor the tree)."""
    git = shutil.which("git")
    if git is None:
        return None
    completed = subprocess.run(  # noqa: S603 - fixed command
        [git, "rev-parse", "HEAD"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return completed.stdout.strip() or None


def description() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "commit": git_commit(),
    }
