"""Counting the processes that use the embedded server with flock: the last one out stops it.

Two `ServerUsers` on one folder open the lock file separately, and flock
locks of separate opens conflict as those of two processes do.
"""

import subprocess
import sys
from pathlib import Path

from infrastructure.persistence.embedded_users import ServerUsers
from tests.support.paths import PROJECT_ROOT


def test_the_first_to_join_is_alone_and_the_last_to_leave_is_last(tmp_path: Path) -> None:
    first, second = ServerUsers(tmp_path), ServerUsers(tmp_path)

    with first.exclusively():
        assert first.join() is False
    with second.exclusively():
        assert second.join() is True
        assert second.in_use()

    with first.exclusively():
        assert first.leave() is False, "the second still uses the server"
    with second.exclusively():
        assert second.leave() is True
        assert not second.in_use()


def test_a_killed_process_counts_out_by_itself(tmp_path: Path) -> None:
    with subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; "
            "from infrastructure.persistence.embedded_users import ServerUsers; "
            f"users = ServerUsers(Path({str(tmp_path)!r})); users.join(); "
            "print('in', flush=True); time.sleep(60)",
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "in"
            assert ServerUsers(tmp_path).in_use()
        finally:
            holder.kill()

    assert not ServerUsers(tmp_path).in_use()
    assert ServerUsers(tmp_path).leave() is True


def test_nobody_uses_a_server_before_anyone_joined(tmp_path: Path) -> None:
    assert not ServerUsers(tmp_path).in_use()
