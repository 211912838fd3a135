"""Which processes use the embedded server, so that it stops when the last of them ends.

Each process using the server (`serve`, `migrate`, `seed`...) holds a shared
`flock` on one file in the data folder for as long as it does. The kernel
drops a process's locks when it ends, however it ends (SIGKILL included), so
the count never goes stale: a server found running with no holder is an
orphan, which the next user takes over and stops when it is done. Joining,
leaving, starting and stopping happen under an exclusive lock on the folder
itself, so that no process joins a server that another is stopping.
"""

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from infrastructure.persistence.embedded_cluster import USERS_FILE

logger = logging.getLogger(__name__)


class ServerUsers:
    """The processes using the server whose data is in `data_dir`."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        self._held: int | None = None

    @contextmanager
    def exclusively(self) -> Iterator[None]:
        """Hold the folder's lock: no other process starts, stops, joins or leaves meanwhile."""
        folder = os.open(self._data_dir, os.O_RDONLY | os.O_DIRECTORY)
        try:
            try:
                fcntl.flock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                logger.info("waiting for another process to start or stop the embedded PostgreSQL")
                fcntl.flock(folder, fcntl.LOCK_EX)
            yield
        finally:
            os.close(folder)

    def join(self) -> bool:
        """Count this process in (under `exclusively`); return whether others were in already."""
        held = os.open(self._data_dir / USERS_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        alone = _try_exclusive(held)
        fcntl.flock(held, fcntl.LOCK_SH)
        self._held = held
        return not alone

    def leave(self) -> bool:
        """Count this process out (under `exclusively`); return whether it was the last."""
        if self._held is None:
            return not self.in_use()
        try:
            return _try_exclusive(self._held)
        finally:
            os.close(self._held)
            self._held = None

    def in_use(self) -> bool:
        """Whether any process is counted in now (under `exclusively`)."""
        try:
            probe = os.open(self._data_dir / USERS_FILE, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            return not _try_exclusive(probe)
        finally:
            os.close(probe)


def _try_exclusive(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
