"""The runtime code reaches SQLAlchemy only through its public API, and never its engine.

SQLAlchemy builds the SQL and holds the tables; psycopg and psycopg_pool run
it. Internals (the compiler's attributes, `sqlalchemy.util`'s greenlet hops,
the pool's classes) tie the service to one SQLAlchemy release and to an
execution path it no longer takes. The migrator and the migrations run
Alembic, on SQLAlchemy's engine, at migrate time only.
"""

import ast
from pathlib import Path
from typing import Final

import pytest

ROOT: Final = Path(__file__).resolve().parents[2]
RUNTIME_PACKAGES: Final = ("domain", "application", "infrastructure", "interfaces")
MIGRATE_TIME: Final = (
    ROOT / "infrastructure" / "persistence" / "migrator.py",
    ROOT / "infrastructure" / "persistence" / "migrations",
)
FORBIDDEN: Final = (
    "sqlalchemy.util",
    "sqlalchemy.sql.compiler",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "sqlalchemy.ext.asyncio",
)


def _runtime_modules() -> list[Path]:
    return [
        path
        for package in RUNTIME_PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if not any(path == place or place in path.parents for place in MIGRATE_TIME)
    ]


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _forbidden(name: str) -> bool:
    return any(name == banned or name.startswith(f"{banned}.") for banned in FORBIDDEN)


@pytest.mark.parametrize("path", _runtime_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_runtime_code_imports_no_sqlalchemy_internals_nor_its_engine(path: Path) -> None:
    assert sorted(filter(_forbidden, _imported(path))) == []


def test_the_check_sees_an_import_of_an_internal(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text(
        "from sqlalchemy.util import greenlet_spawn\n"
        "import sqlalchemy.sql.compiler\n"
        "from sqlalchemy import engine\n"
        "from sqlalchemy import select\n"
    )
    assert sorted(filter(_forbidden, _imported(module))) == [
        "sqlalchemy.engine",
        "sqlalchemy.sql.compiler",
        "sqlalchemy.util",
        "sqlalchemy.util.greenlet_spawn",
    ]


def test_the_runtime_packages_are_where_the_check_looks() -> None:
    modules = {path.relative_to(ROOT).as_posix() for path in _runtime_modules()}
    assert "infrastructure/persistence/unit_of_work.py" in modules
    assert "infrastructure/persistence/migrator.py" not in modules
