"""The docs stay true: their examples run, the settings page is complete, and links resolve."""

import inspect
import re
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Final

import pytest

from infrastructure.persistence.schema import SCHEMA_HEAD
from infrastructure.settings import Settings
from tests.support.paths import PROJECT_ROOT

README: Final = PROJECT_ROOT / "README.md"
DOCS: Final = PROJECT_ROOT / "docs"
PAGES: Final = [README, *sorted(DOCS.glob("*.md"))]

TESTING: Final = (DOCS / "testing.md").read_text()
EXAMPLES: Final = re.findall(
    r"<!-- tested-example -->\n```python\n(.*?)```", TESTING, flags=re.DOTALL
)
SETTINGS_PAGE: Final = (DOCS / "settings.md").read_text()
ENV_EXAMPLE: Final = (PROJECT_ROOT / ".env.example").read_text()

_FENCE: Final = re.compile(r"^```.*?^```", flags=re.MULTILINE | re.DOTALL)
_CODE_SPAN: Final = re.compile(r"`[^`\n]*`")
_LINK: Final = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_HEADING: Final = re.compile(r"^#{1,6} +(.+?) *#*$", flags=re.MULTILINE)


def _prose(text: str) -> str:
    """The text without code blocks, where `](` and `#` are code rather than markdown."""
    return _FENCE.sub("", text)


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading's anchor, with GitHub's -1, -2 ... for repeated headings."""
    seen: dict[str, int] = {}
    found = set()
    for heading in _HEADING.findall(_prose(page.read_text())):
        slug = github_slug(heading)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def local_links(page: Path) -> list[str]:
    """The page's links to files of this repository and to anchors, as written."""
    prose = _CODE_SPAN.sub("", _prose(page.read_text()))
    return [target for target in _LINK.findall(prose) if not re.match(r"[a-z]+:", target)]


def broken_links(page: Path) -> list[str]:
    """The page's local links whose file is missing, or whose `#anchor` names no heading."""
    broken = []
    for target in local_links(page):
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no such heading")
    return broken


def test_the_testing_page_has_its_examples() -> None:
    assert len(EXAMPLES) == 3


@pytest.mark.parametrize("source", EXAMPLES, ids=lambda source: source.split("def ")[1][:40])
async def test_testing_page_example_runs(source: str) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(source, "docs/testing.md", "exec"), namespace)  # noqa: S102 - our own docs
    tests: list[Callable[[], Coroutine[Any, Any, None]]] = [
        value
        for name, value in namespace.items()
        if name.startswith("test_") and inspect.iscoroutinefunction(value)
    ]
    assert tests, "each example defines an async test"
    for test in tests:
        await test()


def test_every_setting_is_on_the_settings_page() -> None:
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", SETTINGS_PAGE, flags=re.MULTILINE))
    assert {name.upper() for name in Settings.model_fields} <= documented


def _groups(text: str, name: str) -> list[tuple[str, list[str]]]:
    """Each `## ` heading with the setting names under it that match `name`."""
    return [
        (section.splitlines()[0].strip(), re.findall(name, section, flags=re.MULTILINE))
        for section in re.split(r"^## ", text, flags=re.MULTILINE)[1:]
    ]


def test_dot_env_example_lists_every_setting_in_the_settings_page_groups() -> None:
    page = [
        group for group in _groups(SETTINGS_PAGE, r"^\| `([A-Z_]+)` \|") if group[0] != "Tests only"
    ]
    example = _groups(ENV_EXAMPLE, r"^# ([A-Z_]+)=")

    assert example == page
    listed = {name for _, names in example for name in names}
    assert listed == {name.upper() for name in Settings.model_fields}


def test_dot_env_example_shows_the_defaults(tmp_path: Path) -> None:
    uncommented = tmp_path / ".env"
    uncommented.write_text(re.sub(r"^# ([A-Z_]+=)", r"\1", ENV_EXAMPLE, flags=re.MULTILINE))

    assert Settings(_env_file=uncommented) == Settings(_env_file=None)


def test_the_readme_links_every_docs_page() -> None:
    linked = {target.split("#")[0] for target in local_links(README)}
    assert {f"docs/{page.name}" for page in DOCS.glob("*.md")} <= linked


def test_the_readme_stays_a_five_minute_read() -> None:
    assert len(README.read_text().splitlines()) <= 250


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(PROJECT_ROOT).as_posix())
def test_every_link_resolves(page: Path) -> None:
    assert broken_links(page) == []


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Safe writes: ETags and If-Match", "safe-writes-etags-and-if-match"),
        ("Today's figures", "todays-figures"),
        (
            "Accounts: the rules, passwords and logging in",
            "accounts-the-rules-passwords-and-logging-in",
        ),
        ("1. Domain", "1-domain"),
        ("When `seed` should make some", "when-seed-should-make-some"),
    ],
)
def test_github_slug(heading: str, slug: str) -> None:
    assert github_slug(heading) == slug


def test_broken_links_are_found_and_code_is_not_read_as_links(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## Once\n\n## Once\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n\n[a](#nowhere) [b](#title) [c](other.md#once-1) [d](other.md#twice)\n"
        "[e](missing.md) [f](https://example.com/#x) `[g](#in-a-span)`\n\n"
        "```\n[h](#in-a-block)\n# not a heading\n```\n"
    )
    assert anchors(page) == {"title"}
    assert broken_links(page) == [
        "#nowhere: no such heading",
        "other.md#twice: no such heading",
        "missing.md: no such file",
    ]


def test_the_revision_examples_name_the_revision_after_the_head() -> None:
    named = [
        revision
        for page in PAGES
        for revision in re.findall(r"revision (?:--)?id[ =](\d{4})", page.read_text())
    ]
    assert named
    assert set(named) == {f"{int(SCHEMA_HEAD) + 1:04d}"}
