"""/docs and /redoc with no internet access: the service serves their scripts and styles.

FastAPI's own pages load Swagger UI and ReDoc from cdn.jsdelivr.net, so on a
machine that cannot reach it (an air-gapped deployment, a laptop on a train)
they stay blank. The first test reads the pages as the server sends them; the
others render them in headless Chromium that can reach this service and
nothing else, and read from its net log what the pages asked for.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.support.live_server import serving

CHROMIUM_TIMEOUT_SECONDS: Final = 90
HTTP_TIMEOUT_SECONDS: Final = 10
CHROMIUM_FLAGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Autofill sends every form it sees to a Google server, in the page's name.
    "--disable-features=AutofillServerCommunication",
    # Virtual time runs the page until it is idle, however slow the machine.
    "--virtual-time-budget=20000",
    "--dump-dom",
)
# What the issue names; the tests check every operation of the document besides.
REQUIRED_SUMMARIES: Final = frozenset({"Register a user", "Log in", "Publish a post"})
CONTENT_TYPES: Final = {"script": "javascript", "stylesheet": "text/css", "icon": "image/"}
CODE: Final = frozenset({"script", "stylesheet"})


class _Markup(HTMLParser):
    """The elements (tag and attributes) and the visible text of an HTML document."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self._text: list[str] = []
        self._in_code = False
        self.feed(markup)
        self.close()

    @property
    def text(self) -> str:
        return "\n".join(self._text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))
        self._in_code = tag in {"script", "style"}

    def handle_endtag(self, tag: str) -> None:
        self._in_code = False

    def handle_data(self, data: str) -> None:
        # A script holding the spec would show the summaries without rendering anything.
        if not self._in_code:
            self._text.append(data)


@dataclass(frozen=True)
class Operation:
    operation_id: str
    summary: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Asset:
    kind: str
    url: str


@dataclass(frozen=True)
class Visit:
    dom: _Markup
    requests: list[str]
    """Every URL the page asked for, read from the browser's net log."""


@dataclass(frozen=True)
class DocsPage:
    path: str
    renders: Callable[[_Markup, Operation], bool]
    """Whether the DOM holds the element the page's JavaScript draws for an operation."""


def _swagger_ui_renders(dom: _Markup, operation: Operation) -> bool:
    tag = operation.tags[0] if operation.tags else "default"  # where Swagger UI files it
    anchor = f"operations-{tag}-{operation.operation_id}"
    return any(
        attrs.get("id") == anchor and "opblock" in attrs.get("class", "").split()
        for _, attrs in dom.elements
    )


def _redoc_renders(dom: _Markup, operation: Operation) -> bool:
    section = f"operation/{operation.operation_id}"
    return any(attrs.get("data-section-id") == section for _, attrs in dom.elements)


SWAGGER_UI: Final = DocsPage("/docs", _swagger_ui_renders)
REDOC: Final = DocsPage("/redoc", _redoc_renders)
PAGES: Final = [pytest.param(SWAGGER_UI, id="docs"), pytest.param(REDOC, id="redoc")]


def _same_origin(url: str, base_url: str) -> bool:
    first, second = urlsplit(url), urlsplit(base_url)
    return (first.scheme, first.netloc) == (second.scheme, second.netloc)


def _kind(tag: str, attrs: dict[str, str]) -> str:
    """`script`, `stylesheet`, `icon` (for "shortcut icon" too), else the tag or the rel."""
    if tag != "link":
        return tag
    rel = attrs.get("rel", "").lower().split()
    return next((kind for kind in ("stylesheet", "icon") if kind in rel), " ".join(rel))


def _assets(page_url: str) -> list[Asset]:
    """Everything the page's HTML makes a browser fetch, resolved against the page's URL."""
    response = httpx.get(page_url, timeout=HTTP_TIMEOUT_SECONDS)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "cdn.jsdelivr.net" not in response.text
    assets: list[Asset] = []
    for tag, attrs in _Markup(response.text).elements:
        kind = _kind(tag, attrs)
        assets.extend(
            Asset(kind, urljoin(page_url, attrs[name])) for name in ("src", "href") if name in attrs
        )
    return assets


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serving(REPOSITORY="memory") as (url, _):
        yield url


@pytest.fixture(scope="module")
def operations(base_url: str) -> list[Operation]:
    """The operations of the live document: each must be drawn on both pages."""
    document: dict[str, Any] = httpx.get(
        f"{base_url}/openapi.json", timeout=HTTP_TIMEOUT_SECONDS
    ).json()
    found = [
        Operation(operation["operationId"], operation["summary"], tuple(operation["tags"]))
        for path in document["paths"].values()
        for operation in path.values()
    ]
    assert {operation.summary for operation in found} >= REQUIRED_SUMMARIES
    return found


@pytest.mark.parametrize("page", PAGES)
def test_the_page_loads_its_scripts_and_styles_from_this_service(
    page: DocsPage, base_url: str
) -> None:
    assets = _assets(base_url + page.path)

    assert "script" in {asset.kind for asset in assets}, "no script: nothing would render"
    for asset in assets:
        assert _same_origin(asset.url, base_url), f"{asset.url} is not served by this service"
        response = httpx.get(asset.url, timeout=HTTP_TIMEOUT_SECONDS)
        assert response.status_code == 200, asset.url
        assert CONTENT_TYPES.get(asset.kind, "") in response.headers["content-type"], asset


def _run_chromium(command: list[str], home: Path) -> str:
    """Chromium's standard output, the DOM; its whole process group ends with it."""
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HOME": str(home)},
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=CHROMIUM_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"chromium did not finish within {CHROMIUM_TIMEOUT_SECONDS} s")
        finally:
            # Its renderer and helper processes would outlive a browser killed on timeout.
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, stderr[-3000:]
    return stdout


def _page_requests(net_log: Path, origin: str) -> list[str]:
    """The URLs the page asked for; the browser's own traffic has no page as its initiator."""
    log: dict[str, Any] = json.loads(net_log.read_text())
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        event["params"]["url"]
        for event in log["events"]
        if event["type"] == start_job and event.get("params", {}).get("initiator") == origin
    ]


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("Debian's chromium is not installed; .ci/run installs it")
    return found


@pytest.fixture(scope="module")
def browse(
    chromium: str, base_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Visit]]:
    """Load a page (once per module) in a browser that can reach this service and nothing else."""
    visits: dict[str, Visit] = {}
    with socket.socket() as dead_end:
        # Bound but never listening: every connection to it is refused. Chromium
        # sends all traffic but loopback's through this proxy, so even on a
        # machine with internet access the pages get none.
        dead_end.bind(("127.0.0.1", 0))
        proxy = f"--proxy-server=127.0.0.1:{dead_end.getsockname()[1]}"

        def browse(path: str) -> Visit:
            if path not in visits:
                workdir = tmp_path_factory.mktemp("chromium")
                net_log = workdir / "net-log.json"
                command = [
                    chromium,
                    *CHROMIUM_FLAGS,
                    proxy,
                    f"--user-data-dir={workdir / 'profile'}",
                    f"--log-net-log={net_log}",
                    base_url + path,
                ]
                dom = _Markup(_run_chromium(command, home=workdir))
                visits[path] = Visit(dom, _page_requests(net_log, origin=base_url))
            return visits[path]

        yield browse


@pytest.mark.parametrize("page", PAGES)
def test_the_page_renders_every_operation_in_a_browser_with_no_internet(
    page: DocsPage, base_url: str, operations: list[Operation], browse: Callable[[str], Visit]
) -> None:
    visit = browse(page.path)

    for operation in operations:
        assert page.renders(visit.dom, operation), f"{operation.operation_id} is not drawn"
        assert operation.summary in visit.dom.text
    code = {asset.url for asset in _assets(base_url + page.path) if asset.kind in CODE}
    assert code <= set(visit.requests), "scripts or styles not fetched from this service"


@pytest.mark.parametrize("page", PAGES)
def test_the_page_asks_nothing_of_other_hosts(
    page: DocsPage, base_url: str, browse: Callable[[str], Visit]
) -> None:
    visit = browse(page.path)

    offsite = {url for url in visit.requests if not _same_origin(url, base_url)}
    assert offsite == set()
    assert f"{base_url}/openapi.json" in visit.requests, "nothing read from the net log"
