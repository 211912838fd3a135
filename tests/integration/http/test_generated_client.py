"""A typed client generated from the live /openapi.json drives the whole API.

Users of the API generate clients rather than read the code; a document that
misnames a body's media type, drops a response model or loses a field's
format breaks them, not our own tests. So the document is fed to a standard
generator (openapi-python-client) with warnings as errors, and the generated
code, not httpx, registers, logs in, publishes and pages.
"""

import datetime
import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Final, Protocol

import httpx
import pytest

from tests.support.live_server import serving

PACKAGE: Final = "users_posts_client"
GENERATOR: Final = Path(sys.executable).with_name("openapi-python-client")
GENERATOR_TIMEOUT_SECONDS: Final = 120
HTTP_TIMEOUT_SECONDS: Final = 10
PASSWORD: Final = "pass-word-1"
POST_COUNT: Final = 5
PAGE_SIZE: Final = 2


class Author(Protocol):
    id: int
    username: str


class Post(Protocol):
    """What the test reads of the generated `PostRead`."""

    id: int
    created_at: datetime.datetime
    author: Author


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serving(REPOSITORY="memory") as (url, _):
        yield url


def _generate(document: Path, package_dir: Path) -> None:
    """Run the generator on a local file: no network, no post-hooks (ruff need not be on PATH)."""
    config = package_dir.parent / "generator-config.json"
    config.write_text(json.dumps({"post_hooks": []}))
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            f"--path={document}",
            f"--output-path={package_dir}",
            f"--config={config}",
            "--meta=none",
            # A warning means a piece of the API the generated client lacks.
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=GENERATOR_TIMEOUT_SECONDS,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def client_package(base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The generated package, importable during this module only: it never enters the repo."""
    directory = tmp_path_factory.mktemp("generated")
    document = directory / "openapi.json"
    document.write_bytes(
        httpx.get(f"{base_url}/openapi.json", timeout=HTTP_TIMEOUT_SECONDS)
        .raise_for_status()
        .content
    )
    _generate(document, directory / PACKAGE)
    sys.path.insert(0, str(directory))
    try:
        yield PACKAGE
    finally:
        sys.path.remove(str(directory))
        for name in [name for name in sys.modules if name.partition(".")[0] == PACKAGE]:
            del sys.modules[name]


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


def _call(operation: str, status: int, **arguments: Any) -> Any:
    """Call a generated operation (`users.create_user`...) and return its parsed body."""
    response = _module(f"api.{operation}").sync_detailed(**arguments)
    assert response.status_code == status, response.content
    return response.parsed


def _register(client: Any) -> int:
    models = _module("models")
    body = models.UserCreate(email="gen@example.com", username="gen", password=PASSWORD)
    user = _call("users.create_user", 201, client=client, body=body)
    assert isinstance(user, models.UserPrivate), "the account itself gets its private view"
    assert user.email == "gen@example.com"
    user_id: int = user.id
    return user_id


def _read_public(client: Any, user_id: int) -> Any:
    models = _module("models")
    user = _call("users.get_user", 200, client=client, user_id=user_id)
    assert isinstance(user, models.UserPublic)
    assert not hasattr(user, "email"), "a stranger's client has no email to read"
    return user


def _log_in(client: Any) -> str:
    models = _module("models")
    # The token endpoint takes a form; the generated call must send one.
    body = models.LoginForm(username="gen", password=PASSWORD)
    token = _call("auth.create_token", 200, client=client, body=body)
    assert isinstance(token, models.TokenResponse)
    access_token: str = token.access_token
    return access_token


def _publish(client: Any, title: str) -> Post:
    models = _module("models")
    body = models.PostCreate(title=title, content=f"The body of {title}.")
    post = _call("posts.create_post", 201, client=client, body=body)
    assert isinstance(post, models.PostRead)
    assert isinstance(post.created_at, datetime.datetime), "date-time fields parse as datetimes"
    assert isinstance(post.author, models.AuthorPublic)
    typed: Post = post
    return typed


def _page_through(client: Any) -> list[list[Post]]:
    """Every page of GET /posts/ by skip; bounded, so a server ignoring `skip` cannot loop it."""
    models = _module("models")
    pages: list[list[Post]] = []
    for number in range(POST_COUNT // PAGE_SIZE + 2):
        page = _call(
            "posts.list_posts", 200, client=client, skip=number * PAGE_SIZE, limit=PAGE_SIZE
        )
        assert all(isinstance(post, models.PostRead) for post in page)
        pages.append(page)
        if len(page) < PAGE_SIZE:
            return pages
    pytest.fail(f"still a full page after {len(pages)} pages of {PAGE_SIZE}")


def test_a_generated_client_registers_logs_in_publishes_and_pages(
    base_url: str, client_package: str
) -> None:
    package = importlib.import_module(client_package)
    timeout = httpx.Timeout(HTTP_TIMEOUT_SECONDS)
    with package.Client(base_url=base_url, timeout=timeout) as anonymous:
        user_id = _register(anonymous)
        public = _read_public(anonymous, user_id)
        token = _log_in(anonymous)
        with package.AuthenticatedClient(base_url=base_url, token=token, timeout=timeout) as author:
            published = [_publish(author, f"Post {number}") for number in range(POST_COUNT)]
        pages = _page_through(anonymous)

    assert [len(page) for page in pages] == [2, 2, 1]
    seen = [post for page in pages for post in page]
    assert [post.id for post in seen] == [post.id for post in reversed(published)], "newest first"
    assert {(post.author.id, post.author.username) for post in seen} == {(user_id, "gen")}
    assert (public.id, public.username) == (user_id, "gen")
