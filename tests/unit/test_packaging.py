"""What an installed copy relies on: no path into a checkout, data under the working
directory, Alembic's files found beside the code, extras named when missing."""

import re
from pathlib import Path

import pytest

from infrastructure.persistence import migrator
from infrastructure.settings import DISTRIBUTION, MissingExtraError, require_extra
from tests.conftest import make_settings
from tests.support.paths import PROJECT_ROOT

RUNTIME_PACKAGES = ("domain", "application", "infrastructure", "interfaces")


def test_the_embedded_data_folder_is_under_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert make_settings().embedded_postgres_dir == tmp_path / ".data" / "postgres"


def test_migrations_are_found_from_any_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert migrator.ALEMBIC_INI.parent == PROJECT_ROOT / "infrastructure" / "persistence"
    assert migrator.revisions()[0] == "0001"


def test_runtime_code_never_looks_for_its_checkout() -> None:
    """Paths from `__file__` reach package data only: `.parent.parent` (or further) and a
    PROJECT_ROOT lead out of the package, into site-packages once installed."""
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}"
        for package in RUNTIME_PACKAGES
        for path in (PROJECT_ROOT / package).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"PROJECT_ROOT|\.parent\.parent|parents\[", line)
    ]
    assert offenders == []


def test_a_missing_extra_is_named_with_the_command_that_installs_it() -> None:
    with pytest.raises(MissingExtraError) as raised:
        require_extra("redis", ("coredis", "surely_no_such_module_here"), "Redis storage")
    assert str(raised.value) == (
        f"Redis storage needs the 'redis' extra: pip install '{DISTRIBUTION}[redis]'"
    )
    assert raised.value.extra == "redis"


def test_an_installed_extra_passes() -> None:
    require_extra("seed", ("factory", "faker"), "Seeding")
