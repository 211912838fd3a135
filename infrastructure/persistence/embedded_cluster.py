"""What the embedded server's data folder holds: a whole cluster, nothing yet, or a half-made one.

initdb takes seconds, and a Ctrl-C (or a closed terminal) in its middle
leaves a folder that PostgreSQL cannot use and that initdb refuses to touch
again ("directory exists but is not empty"), or a cluster without its
`postgres` database. A marker written once initdb has finished tells a whole
cluster from such a leftover. A leftover is emptied and made again, but only
when every entry in it is a name PostgreSQL (or this module) writes: a folder
named by mistake, a home directory say, is never emptied.
"""

import shutil
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Final

MARKER: Final = ".users-posts-ready"
"""Written into the data folder once initdb has finished; its absence means "not known whole"."""

USERS_FILE: Final = ".users-posts-in-use"
"""The file whose shared locks count the processes using the server (see embedded_users)."""

_SHOWN: Final = 5

_PG_FILES: Final = frozenset(
    {
        "base",
        "global",
        "postgresql.conf",
        "postgresql.auto.conf",
        "postmaster.pid",
        "postmaster.opts",
        "current_logfiles",
        "log",
        "server.log",
        MARKER,
        USERS_FILE,
    }
)


class ClusterState(Enum):
    ABSENT = "absent"
    """No folder, or an empty one: initdb makes the cluster."""
    READY = "ready"
    """The marker is there: initdb finished."""
    UNVERIFIED = "unverified"
    """A control file but no marker: a cluster made before the marker existed, or one
    whose initdb was stopped late. Starting it and finding its `postgres` database tells."""
    HALF_MADE = "half-made"
    """Only PostgreSQL's own files, and no control file: an initdb that was stopped early."""
    FOREIGN = "foreign"
    """Files PostgreSQL does not write: not ours to empty."""


class ForeignFilesError(RuntimeError):
    """The data folder holds files that are no PostgreSQL cluster's."""


def inspect(data_dir: Path) -> ClusterState:
    if (data_dir / MARKER).exists():
        return ClusterState.READY
    names = _names(data_dir)
    if not names:
        return ClusterState.ABSENT
    if (data_dir / "global" / "pg_control").exists():
        return ClusterState.UNVERIFIED
    if _foreign(names):
        return ClusterState.FOREIGN
    return ClusterState.HALF_MADE


def mark_ready(data_dir: Path) -> None:
    (data_dir / MARKER).write_text(
        f"initdb finished here; checked by users-posts at {datetime.now(UTC).isoformat()}\n"
    )


def empty(data_dir: Path) -> None:
    """Remove everything in the folder (keeping the folder itself, and who owns it)."""
    names = _names(data_dir)
    if foreign := _foreign(names):
        raise ForeignFilesError(foreign_files_message(data_dir, foreign))
    for name in names:
        entry = data_dir / name
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def foreign_files(data_dir: Path) -> list[str]:
    return _foreign(_names(data_dir))


def foreign_files_message(data_dir: Path, foreign: list[str]) -> str:
    shown = ", ".join(foreign[:_SHOWN]) + (", ..." if len(foreign) > _SHOWN else "")
    return (
        f"EMBEDDED_POSTGRES_DIR={data_dir} holds files that are not a PostgreSQL cluster's "
        f"({shown}), so the embedded PostgreSQL leaves it alone; point EMBEDDED_POSTGRES_DIR "
        f"at a new or empty folder"
    )


def _names(data_dir: Path) -> list[str]:
    try:
        return sorted(entry.name for entry in data_dir.iterdir())
    except FileNotFoundError:
        return []


def _foreign(names: list[str]) -> list[str]:
    return [
        name
        for name in names
        if name not in _PG_FILES
        and not name.lower().startswith("pg_")
        and not name.startswith(".s.PGSQL.")
    ]
