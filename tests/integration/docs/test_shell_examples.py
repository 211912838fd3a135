"""The docs' shell examples run, in order, against a real server, and answer what they say.

A block marked with the line `<!-- tested-shell -->` right before its ```sh fence is
run. A page's marked blocks run in order in one `bash -e -o pipefail`, so a block may
use what an earlier one set ($API, $AUTH) and the ids it shows depend on what ran
before it, as they do for a reader who types them in. Each page gets a fresh
`serve` with REPOSITORY=memory, since each page's walk-through starts from an empty
service.

How the answers are checked, kept simple on purpose:

- `curl` is a bash function for the run. It calls the real curl with `-v --stderr
  FILE` added (the output the example asks for is untouched), appends the call's
  status (the last `< HTTP/x NNN` line; 000 when nothing answered) and `Location`
  to a log, and sends the docs' `http://127.0.0.1:8000` (what `make run` serves)
  to the test's server instead, wherever an argument starts with it.
- A comment that starts with a status states the status of the curl calls just
  before it: `# HTTP/1.1 201 Created`, `# 201 Created, Location: ...`, a trailing
  `... # 304`, or `# 401 401 401 401 401 429` for a loop. The line after it in the
  run logs that expectation.
- A comment that names a `location: /path` (in any case) states the `Location` of the
  last curl call before it: `# location: /users/1`, `# 201 Created, Location: /posts/1`.
- An expectation of N statuses is met when the last N calls logged since the previous
  expectation answered them, in order. Calls without a status comment (a token fetched
  into a variable) are not checked. Every expectation of a page must be reached.

Blocks that need what this test should not do (PgBouncer, docker, `make run` itself)
stay unmarked.
"""

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest

from infrastructure.settings import Settings
from tests.support.live_server import serving
from tests.support.paths import PROJECT_ROOT

MARKER: Final = "<!-- tested-shell -->"
DOCUMENTED_BASE_URL: Final = "http://127.0.0.1:8000"
PAGE_TIMEOUT_SECONDS: Final = 60

PAGES: Final = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]

_BLOCK: Final = re.compile(rf"^{re.escape(MARKER)}\n```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
_STATUS_COMMENT: Final = re.compile(r"(?:^|\s)#\s+(?:HTTP/[\d.]+\s+)?(\d{3}(?:\s+\d{3})*)\b")
_LOCATION_COMMENT: Final = re.compile(r"(?:^|\s)#.*?\blocation: *(/[\w/.-]*)", re.IGNORECASE)

PAGE_ENVIRONMENT: Final[dict[str, dict[str, str]]] = {
    # The abuse-limits example shows the default limit on failed logins being reached.
    "docs/api.md": {
        "RATE_LIMIT_LOGIN_FAILURES": str(Settings.model_fields["rate_limit_login_failures"].default)
    },
}
"""Settings a page's examples need that the test server's generous defaults would hide."""

_PRELUDE: Final = r"""
curl() {
  local trace status=0 code location
  trace=$(mktemp)
  command curl -v --stderr "$trace" "${@/#"$DOCUMENTED_BASE_URL"/"$SERVED_BASE_URL"}" || status=$?
  code=$(sed -n 's/^< HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' "$trace" | tail -n 1)
  location=$(sed -n 's/^< location: *//Ip' "$trace" | tr -d '\r' | tail -n 1)
  echo "call ${code:-000} ${location:--}" >> "$CALL_LOG"
  rm -f "$trace"
  return "$status"
}
__expect() { echo "expect $*" >> "$CALL_LOG"; }
"""


@dataclass(frozen=True)
class Block:
    """A marked block: its text and the line of the page where its first line is."""

    first_line: int
    text: str


def marked_blocks(text: str) -> list[Block]:
    """The page's blocks marked `<!-- tested-shell -->`, in order."""
    return [
        Block(text.count("\n", 0, match.start(1)) + 1, match.group(1))
        for match in _BLOCK.finditer(text)
    ]


def expected_statuses(line: str) -> list[int]:
    """The statuses a line's comment says the calls before it answer; none for other lines."""
    match = _STATUS_COMMENT.search(line)
    return [int(code) for code in match.group(1).split()] if match else []


def expected_location(line: str) -> str | None:
    """The `Location` a line's comment says the last call answered, if it names a path."""
    match = _LOCATION_COMMENT.search(line)
    return match.group(1) if match else None


def instrumented(blocks: Sequence[Block]) -> tuple[str, list[int]]:
    """The script that runs the blocks and logs each expectation where its comment is,
    and the page lines of those comments."""
    script = [_PRELUDE]
    expectations = []
    for block in blocks:
        for offset, line in enumerate(block.text.splitlines()):
            script.append(line)
            page_line = block.first_line + offset
            statuses = expected_statuses(line)
            location = expected_location(line)
            if statuses:
                script.append(f"__expect {page_line} status {' '.join(map(str, statuses))}")
            if location:
                script.append(f"__expect {page_line} location {location}")
            if statuses or location:
                expectations.append(page_line)
    return "\n".join(script) + "\n", expectations


def unmet(log: Sequence[str], expectations: Sequence[int]) -> list[str]:
    """Each expectation the logged calls do not meet, and each that the run never reached."""
    problems = []
    reached = set()
    statuses: list[int] = []
    last_location: str | None = None
    for entry in log:
        kind, *values = entry.split()
        if kind == "call":
            statuses.append(int(values[0]))
            last_location = values[1]
            continue
        page_line, what, expected = int(values[0]), values[1], values[2:]
        reached.add(page_line)
        if what == "location":
            if last_location != expected[0]:
                problems.append(
                    f"line {page_line}: says Location {expected[0]}, the last call {last_location}"
                )
            continue
        wanted = [int(value) for value in expected]
        answered = statuses[-len(wanted) :] if len(statuses) >= len(wanted) else statuses
        if answered != wanted:
            problems.append(f"line {page_line}: says {wanted}, the calls answered {answered}")
        statuses = []
    problems += [f"line {line}: never reached" for line in expectations if line not in reached]
    return problems


def required_tool(name: str) -> str:
    """The program's path; a missing one fails the test, since CI has it and a skip would hide
    the examples going untested."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"the docs' shell examples need {name} on PATH (apt-get install {name})")
    return path


def run_blocks(blocks: Sequence[Block], base_url: str, workdir: Path) -> list[str]:
    """Run the blocks in one bash against `base_url` from `workdir` (files they write stay
    there): what they got wrong, or why they stopped."""
    bash = required_tool("bash")
    required_tool("curl")
    script, expectations = instrumented(blocks)
    call_log = workdir / "calls.log"
    call_log.touch()
    try:
        result = subprocess.run(
            [bash, "-e", "-o", "pipefail", "-c", script],
            cwd=workdir,
            env=os.environ
            | {
                "CALL_LOG": str(call_log),
                "DOCUMENTED_BASE_URL": DOCUMENTED_BASE_URL,
                "SERVED_BASE_URL": base_url,
            },
            capture_output=True,
            text=True,
            timeout=PAGE_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return [f"the blocks did not finish in {PAGE_TIMEOUT_SECONDS} s"]
    problems = unmet(call_log.read_text().splitlines(), expectations)
    if result.returncode != 0:
        problems.append(
            f"bash exited with {result.returncode}:\n{result.stderr}\noutput:\n{result.stdout}"
        )
    return problems


def _page_id(page: Path) -> str:
    return page.relative_to(PROJECT_ROOT).as_posix()


TESTED_PAGES: Final = [page for page in PAGES if marked_blocks(page.read_text())]


def test_the_tour_and_the_api_walk_throughs_are_marked() -> None:
    assert {_page_id(page) for page in TESTED_PAGES} >= {"README.md", "docs/api.md"}


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_every_marker_stands_right_before_a_sh_fence(page: Path) -> None:
    text = page.read_text()
    assert text.count(MARKER) == len(marked_blocks(text))


@pytest.mark.parametrize("page", TESTED_PAGES, ids=_page_id)
def test_the_page_s_shell_examples_answer_what_they_say(page: Path, tmp_path: Path) -> None:
    blocks = marked_blocks(page.read_text())
    with serving(REPOSITORY="memory", **PAGE_ENVIRONMENT.get(_page_id(page), {})) as (url, _):
        assert run_blocks(blocks, url, tmp_path) == []


def test_a_comment_with_the_wrong_answer_is_reported(tmp_path: Path) -> None:
    block = Block(
        10,
        "API=http://127.0.0.1:8000\n"
        "curl -i $API/users/999\n"
        "# HTTP/1.1 200 OK\n"
        "curl -s -o /dev/null -w '%{http_code}\\n' $API/users/999   # 404\n"
        "for id in 1 2; do curl -s -o /dev/null $API/users/$id; done\n"
        "# 404 200\n"
        "curl -s -o /dev/null -X POST $API/users/ -H 'Content-Type: application/json' \\\n"
        '     -d \'{"email": "ada@example.com", "username": "ada", '
        '"password": "correct horse"}\'\n'
        "# 201 Created, Location: /users/2\n",
    )
    with serving(REPOSITORY="memory") as (url, _):
        assert run_blocks([block], url, tmp_path) == [
            "line 12: says [200], the calls answered [404]",
            "line 15: says [404, 200], the calls answered [404, 404]",
            "line 18: says Location /users/2, the last call /users/1",
        ]


@pytest.mark.parametrize(
    ("line", "statuses"),
    [
        ("# HTTP/1.1 201 Created", [201]),
        ("# 201 Created, Location: /posts/1", [201]),
        ("curl -s -o /dev/null -w '%{http_code}\\n' $URL   # 304", [304]),
        ("# 401 401 401 401 401 429", [401, 401, 401, 401, 401, 429]),
        ('# 200, etag: "2.v87R5p-euWWNpVRM"; the same If-Match again is a 412:', [200]),
        ('# {"id":1,"username":"ada","created_at":"2026-12-02T00:33:14Z"}', []),
        ("# location: /users/1", []),
        ("curl -s $API/users/1   # a stranger's view", []),
        ("# 2026 was a good year", []),
    ],
)
def test_status_comments_are_read(line: str, statuses: list[int]) -> None:
    assert expected_statuses(line) == statuses


@pytest.mark.parametrize(
    ("line", "location"),
    [
        ("# location: /users/1", "/users/1"),
        ("# 201 Created, Location: /posts/3, the post", "/posts/3"),
        ("# Register: the account's private view, with its ETag and Location.", None),
        ("URL=$API$(curl -s -D - -o /dev/null $API/posts/ | sed -n 's/^location: *//Ip')", None),
    ],
)
def test_location_comments_are_read(line: str, location: str | None) -> None:
    assert expected_location(line) == location


def test_an_expectation_is_checked_against_the_calls_just_before_it() -> None:
    log = [
        "call 200 -",
        "call 201 /posts/1",
        "expect 3 status 201",
        "expect 3 location /posts/1",
        "expect 4 status 204",
        "call 404 -",
        "expect 7 status 200",
        "expect 8 location /posts/1",
    ]

    assert unmet(log, [3, 4, 7, 8, 9]) == [
        "line 4: says [204], the calls answered []",
        "line 7: says [200], the calls answered [404]",
        "line 8: says Location /posts/1, the last call -",
        "line 9: never reached",
    ]


def test_a_missing_tool_fails_rather_than_skips() -> None:
    with pytest.raises(pytest.fail.Exception, match="need no-such-program on PATH"):
        required_tool("no-such-program")
