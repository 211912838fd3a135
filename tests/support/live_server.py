"""The service as an operator runs it: `python -m interfaces` in a process of its own.

Shared by the tests that need a real port: the command line's, and those that
drive the API from outside Python's reach (a browser, a generated client).
"""

import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Final

import httpx
import pytest

from tests.conftest import CHEAP_HASHING, GENEROUS_RATE_LIMITS
from tests.support.cli import CLI
from tests.support.paths import PROJECT_ROOT

STARTUP_TIMEOUT_SECONDS: Final = 60


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def command_environment(**overrides: str) -> dict[str, str]:
    """The environment for `python -m interfaces`: cheap hashing, generous rate limits,
    PostgreSQL unless overridden."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REPOSITORY", "EMBEDDED_POSTGRES_DIR"}
    }
    environment.update(
        {key.upper(): str(value) for key, value in (CHEAP_HASHING | GENEROUS_RATE_LIMITS).items()}
    )
    # Explicit values beat whatever a developer's .env says.
    environment.update({"DATABASE_URL": "", "REPOSITORY": "postgres"})
    environment.update(overrides)
    return environment


def serving(
    *options: str, **environment: str
) -> AbstractContextManager[tuple[str, subprocess.Popen[str]]]:
    """Run `python -m interfaces serve` from the checkout until the block ends, then
    SIGTERM it."""
    return served_by([*CLI], PROJECT_ROOT, options, environment)


def serving_with_output(
    output_to: Path, *options: str, **environment: str
) -> AbstractContextManager[tuple[str, subprocess.Popen[str]]]:
    """`serving`, with what the process writes (stdout and stderr) kept in `output_to`."""
    return served_by([*CLI], PROJECT_ROOT, options, environment, output_to=output_to)


@contextmanager
def served_by(
    command: Sequence[str],
    cwd: Path,
    options: Sequence[str],
    environment: Mapping[str, str],
    *,
    output_to: Path | None = None,
    port: int | None = None,
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Run `command serve` from `cwd` until the block ends, then SIGTERM it.

    Its output goes to a file, not a pipe: a pipe nobody reads fills up after
    a few hundred log lines and then blocks the server. `port`: a given one
    (to restart an instance where a load balancer expects it), else a free one.
    """
    port = free_port() if port is None else port
    output = (
        tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in the finally below
        if output_to is None
        else output_to.open("w+")
    )
    process = subprocess.Popen(
        [*command, "serve", "--port", str(port), *options],
        cwd=cwd,
        env=command_environment(**environment),
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                output.seek(0)
                pytest.fail(f"serve exited with {process.returncode}:\n{output.read()}")
            try:
                httpx.get(f"{base_url}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail("serve did not answer in time")
                time.sleep(0.1)
        yield base_url, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.close()
