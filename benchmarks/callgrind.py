"""Counting the instructions of whole processes with valgrind's callgrind, a few at a time."""

import re
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from benchmarks.paths import PROJECT_ROOT

_COLLECTED: Final = re.compile(r"^==\d+== Collected : ([\d,]+)\s*$", re.MULTILINE)
_TIMEOUT_SECONDS: Final = 1800
"""A run is tens of times slower under callgrind than natively: minutes, not hours."""
_POLL_SECONDS: Final = 0.5
_TAIL_CHARACTERS: Final = 3000


@dataclass(frozen=True, slots=True)
class Program:
    """A command to count, and what the progress lines call it."""

    label: str
    command: tuple[str, ...]


def collected(log: str) -> int:
    """The instructions callgrind counted over the whole process, from the summary it logs
    as the process exits (`==pid== Collected : N`, with or without thousands separators)."""
    found = _COLLECTED.findall(log)
    if len(found) != 1:
        raise ValueError(
            f"expected one 'Collected' line in callgrind's log, found {len(found)}:\n"
            f"{log[-_TAIL_CHARACTERS:]}"
        )
    return int(found[0].replace(",", ""))


def version(valgrind: str) -> str:
    completed = subprocess.run(  # noqa: S603 - the valgrind found on PATH
        [valgrind, "--version"], capture_output=True, text=True, timeout=30, check=True
    )
    return completed.stdout.strip()


def _files(folder: Path, index: int) -> tuple[Path, Path, Path]:
    """The program's own output, valgrind's log, and callgrind's profile (kept for
    callgrind_annotate while the folder lives)."""
    return (
        folder / f"run{index}.out",
        folder / f"run{index}.valgrind.log",
        folder / f"run{index}.callgrind",
    )


def _start(
    valgrind: str, program: Program, files: tuple[Path, Path, Path], environment: dict[str, str]
) -> subprocess.Popen[bytes]:
    output, log, profile = files
    with output.open("wb") as sink:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                *(valgrind, "--tool=callgrind"),
                f"--callgrind-out-file={profile}",
                f"--log-file={log}",
                *program.command,
            ],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def _finished(program: Program, returncode: int, files: tuple[Path, Path, Path]) -> int:
    output, log, _ = files
    if returncode != 0:
        raise RuntimeError(
            f"{program.label} failed under callgrind (exit status {returncode}):\n"
            f"{output.read_text(errors='replace')[-_TAIL_CHARACTERS:]}"
        )
    return collected(log.read_text(errors="replace"))


def count(
    valgrind: str,
    programs: Sequence[Program],
    *,
    folder: Path,
    environment: dict[str, str],
    at_once: int,
) -> list[int]:
    """Each program's instructions, in order; `at_once` of them run side by side.

    A program that fails stops everything: its count would measure an
    error path. The others are killed on the way out, whatever ends this.
    """
    pending = list(enumerate(programs))
    running: dict[int, tuple[subprocess.Popen[bytes], float]] = {}
    counts: dict[int, int] = {}
    try:
        while pending or running:
            while pending and len(running) < at_once:
                index, program = pending.pop(0)
                process = _start(valgrind, program, _files(folder, index), environment)
                running[index] = (process, time.monotonic())
            time.sleep(_POLL_SECONDS)
            for index, (process, started) in list(running.items()):
                program, seconds = programs[index], time.monotonic() - started
                if process.poll() is None:
                    if seconds > _TIMEOUT_SECONDS:
                        raise RuntimeError(f"{program.label} ran over {_TIMEOUT_SECONDS} s")
                    continue
                del running[index]
                counts[index] = _finished(program, process.returncode, _files(folder, index))
                print(f"  {program.label}: {counts[index]:,} ({seconds:.0f} s)", flush=True)
    finally:
        for process, _ in running.values():
            process.kill()
            process.wait()
    return [counts[index] for index in range(len(programs))]
