"""docs/security.md stays true: the tests it names exist, and it names every attack file."""

import ast
import re
from pathlib import Path
from typing import Final

from infrastructure.settings import Settings
from tests.support.paths import PROJECT_ROOT

PAGE: Final = (PROJECT_ROOT / "docs" / "security.md").read_text()
SECURITY_TESTS: Final = PROJECT_ROOT / "tests" / "security"
NAMED: Final = set(re.findall(r"`(test_\w+\.py)::(test_\w+)`", PAGE))


def _tests_in(module: Path) -> set[str]:
    tree = ast.parse(module.read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_every_test_the_page_names_exists() -> None:
    assert NAMED
    missing = {
        f"{module}::{name}"
        for module, name in NAMED
        if not (SECURITY_TESTS / module).exists() or name not in _tests_in(SECURITY_TESTS / module)
    }
    assert not missing


def test_every_file_of_attacks_is_on_the_page() -> None:
    files = {path.name for path in SECURITY_TESTS.glob("test_*.py")}
    assert files
    assert files == {module for module, _ in NAMED}


def test_every_setting_the_page_names_exists() -> None:
    named = set(re.findall(r"`([A-Z][A-Z_]{2,})`", PAGE))
    assert named
    assert named <= {name.upper() for name in Settings.model_fields}
