"""Telling a whole embedded cluster from a half-made one, and never emptying a folder not ours."""

from pathlib import Path

import pytest

from infrastructure.persistence.embedded_cluster import (
    MARKER,
    ClusterState,
    ForeignFilesError,
    empty,
    inspect,
    mark_ready,
)


def _initdb_stopped_early(data_dir: Path) -> None:
    """What initdb leaves when stopped before bootstrapping finished: folders, no control file."""
    for folder in ("base", "global", "pg_wal", "pg_xact"):
        (data_dir / folder).mkdir(parents=True)
    (data_dir / "PG_VERSION").write_text("18\n")
    (data_dir / "postgresql.conf").write_text("")


def test_no_folder_and_an_empty_one_are_absent(tmp_path: Path) -> None:
    assert inspect(tmp_path / "missing") is ClusterState.ABSENT
    assert inspect(tmp_path) is ClusterState.ABSENT


def test_the_marker_makes_a_cluster_ready(tmp_path: Path) -> None:
    _initdb_stopped_early(tmp_path)
    mark_ready(tmp_path)

    assert inspect(tmp_path) is ClusterState.READY


def test_postgres_files_without_a_control_file_are_half_made(tmp_path: Path) -> None:
    _initdb_stopped_early(tmp_path)

    assert inspect(tmp_path) is ClusterState.HALF_MADE


def test_a_control_file_without_the_marker_is_to_be_checked(tmp_path: Path) -> None:
    _initdb_stopped_early(tmp_path)
    (tmp_path / "global" / "pg_control").write_bytes(b"\0" * 16)

    assert inspect(tmp_path) is ClusterState.UNVERIFIED


def test_any_other_file_makes_the_folder_foreign(tmp_path: Path) -> None:
    _initdb_stopped_early(tmp_path)
    (tmp_path / "thesis.tex").write_text("years of work")

    assert inspect(tmp_path) is ClusterState.FOREIGN


def test_emptying_removes_postgres_files_and_keeps_the_folder(tmp_path: Path) -> None:
    _initdb_stopped_early(tmp_path)
    (tmp_path / ".s.PGSQL.5432.lock").write_text("")

    empty(tmp_path)

    assert tmp_path.is_dir()
    assert list(tmp_path.iterdir()) == []


def test_emptying_refuses_a_folder_holding_other_files_and_touches_nothing(
    tmp_path: Path,
) -> None:
    _initdb_stopped_early(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    before = sorted(entry.name for entry in tmp_path.iterdir())

    with pytest.raises(ForeignFilesError, match=r"notes\.txt"):
        empty(tmp_path)

    assert sorted(entry.name for entry in tmp_path.iterdir()) == before
    assert MARKER not in before
