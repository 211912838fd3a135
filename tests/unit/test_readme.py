"""The README stays true: its examples run, and its settings table is complete."""

import inspect
import re
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from infrastructure.settings import Settings
from tests.paths import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()
EXAMPLES = re.findall(r"<!-- readme-example -->\n```python\n(.*?)```", README, flags=re.DOTALL)


def test_the_readme_has_its_examples() -> None:
    assert len(EXAMPLES) == 2


@pytest.mark.parametrize("source", EXAMPLES, ids=lambda source: source.split("def ")[1][:40])
async def test_readme_example_runs(source: str) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(source, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    tests: list[Callable[[], Coroutine[Any, Any, None]]] = [
        value
        for name, value in namespace.items()
        if name.startswith("test_") and inspect.iscoroutinefunction(value)
    ]
    assert tests, "each example defines an async test"
    for test in tests:
        await test()


def test_every_setting_is_in_the_readme_table() -> None:
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", README, flags=re.MULTILINE))
    assert {name.upper() for name in Settings.model_fields} <= documented
