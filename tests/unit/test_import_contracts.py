"""The contract that keeps interfaces off infrastructure's adapters breaks on a real violation.

`make test` runs lint-imports on the tree as it is, which shows the contract
kept; this shows it would not be kept for the imports it exists to refuse,
one for every infrastructure module found now, so a subpackage added later is
covered as soon as it exists.
"""

import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Final

import infrastructure

ROOT: Final = Path(__file__).resolve().parents[2]
LINT_IMPORTS: Final = Path(sys.executable).parent / "lint-imports"
CONTRACT: Final = "Interfaces reach infrastructure only through the container and the settings"
DOORS: Final = frozenset({"container", "settings"})


def _lint_imports(tree: Path) -> str:
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.stdout + result.stderr


def _scratch_copy(tree: Path) -> Path:
    for package in ("domain", "application", "infrastructure", "interfaces"):
        shutil.copytree(
            ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tree)
    return tree


def test_every_infrastructure_module_but_the_container_and_settings_is_refused(
    tmp_path: Path,
) -> None:
    others = sorted(
        module.name
        for module in pkgutil.iter_modules(infrastructure.__path__)
        if module.name not in DOORS
    )
    assert {"memory", "observability", "persistence", "security"} <= set(others)
    tree = _scratch_copy(tmp_path)
    assert f"{CONTRACT} KEPT" in _lint_imports(tree)

    (tree / "interfaces" / "reaching_in.py").write_text(
        "".join(f"import infrastructure.{name}\n" for name in others)
    )
    output = _lint_imports(tree)

    assert f"{CONTRACT} BROKEN" in output
    for name in others:
        assert f"interfaces.reaching_in -> infrastructure.{name} " in output
