"""Ctrl-C while `python -m interfaces` is still importing: one line and exit 130.

The process is made to pause in the middle of its imports, deterministically:
a `sitecustomize` on PYTHONPATH installs an import hook that, when `fastapi`
is first imported (deep in the CLI's imports), touches a file and sleeps.
The test waits for that file, then sends SIGINT into the sleep.
"""

import signal
import subprocess
import time
from pathlib import Path
from typing import Final

import pytest

from interfaces.console import INTERRUPTED_EXIT_CODE
from tests.support.cli import CLI
from tests.support.live_server import command_environment, free_port
from tests.support.paths import PROJECT_ROOT

PAUSING_IMPORT: Final = """
import os
import sys
import time
from pathlib import Path


class PauseAtImport:
    def find_spec(self, name, path=None, target=None):
        if name == os.environ["PAUSE_AT_IMPORT"]:
            sys.meta_path.remove(self)
            Path(os.environ["PAUSED_MARKER"]).touch()
            time.sleep(60)
        return None


sys.meta_path.insert(0, PauseAtImport())
"""

WAIT_SECONDS: Final = 30


def test_ctrl_c_while_serve_is_importing_prints_one_line_and_exits_130(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(PAUSING_IMPORT)
    marker = tmp_path / "paused"
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(free_port())],
        cwd=PROJECT_ROOT,
        env=command_environment(
            REPOSITORY="memory",
            PYTHONPATH=str(tmp_path),
            PAUSE_AT_IMPORT="fastapi",
            PAUSED_MARKER=str(marker),
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while not marker.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"never reached the import of fastapi: {process.communicate()}")
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=WAIT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert (process.returncode, stdout, stderr) == (INTERRUPTED_EXIT_CODE, "", "Interrupted.\n")
