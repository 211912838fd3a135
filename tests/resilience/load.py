"""A steady, bounded mix of reads and writes against a live server, and checks of what it got.

Each client is a thread with its own HTTP connection, sending one request at
a time with a short pause between them, so the load stays steady on a
2-core machine. It stops when told, and by itself after `max_requests` or
`max_seconds`, whichever comes first.
"""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final, Literal

import httpx
import psycopg
import pytest

from tests.resilience.figures import Tally

PASSWORD: Final = "resilient-pass-1"
CLIENT_TIMEOUT_SECONDS: Final = 20.0
"""Far above any wait the service is allowed; a request that hits it hung."""


def content_of(title: str) -> str:
    # Long enough that a row cut off halfway would show.
    return f"{title}: " + "word " * 500


@dataclass(frozen=True, slots=True)
class Answer:
    """One request and what came back: `status` None means no HTTP answer at all."""

    kind: Literal["read", "write"]
    started: float
    finished: float
    status: int | None
    retry_after: str | None = None
    media_type: str | None = None
    problem_type: str | None = None
    title: str | None = None
    post_id: int | None = None


def sign_up(base_url: str, name: str) -> str:
    """Register `name` and return a bearer token for it."""
    with httpx.Client(base_url=base_url, timeout=CLIENT_TIMEOUT_SECONDS) as client:
        registered = client.post(
            "/users/",
            json={"email": f"{name}@example.com", "username": name, "password": PASSWORD},
        )
        assert registered.status_code == 201, registered.text
        issued = client.post("/auth/token", data={"username": name, "password": PASSWORD})
        assert issued.status_code == 200, issued.text
        token: str = issued.json()["access_token"]
        return token


def call(
    client: httpx.Client,
    kind: Literal["read", "write"],
    request: httpx.Request,
    *,
    title: str | None = None,
) -> Answer:
    """Send one request and describe its answer; a transport error is an answer too."""
    started = time.monotonic()
    try:
        response = client.send(request)
    except httpx.TransportError:
        return Answer(kind, started, time.monotonic(), None, title=title)
    finished = time.monotonic()
    is_problem = response.headers.get("content-type", "").startswith("application/problem+json")
    body = response.json() if is_problem or response.status_code == 201 else None
    return Answer(
        kind,
        started,
        finished,
        response.status_code,
        retry_after=response.headers.get("retry-after"),
        media_type=response.headers.get("content-type"),
        problem_type=body.get("type") if is_problem and body else None,
        title=title,
        post_id=body.get("id") if response.status_code == 201 and body else None,
    )


class SteadyLoad:
    """`clients` threads, each alternating a write (POST /posts/) and a read, until stopped."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        clients: int = 4,
        pause: float = 0.02,
        max_requests: int = 1500,
        max_seconds: float = 60.0,
    ) -> None:
        self._base_url = base_url
        self._headers = {"Authorization": f"Bearer {token}"}
        self._clients = clients
        self._pause = pause
        self._max_requests = max_requests
        self._deadline = time.monotonic() + max_seconds
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._answers: list[Answer] = []

    def answers(self) -> list[Answer]:
        with self._lock:
            return list(self._answers)

    def wait_until(
        self, done: Callable[[list[Answer]], bool], *, what: str, seconds: float = 30.0
    ) -> None:
        """Block until `done(answers)` holds; fail the test if it does not within `seconds`."""
        deadline = time.monotonic() + seconds
        while not done(self.answers()):
            if time.monotonic() > deadline or self._stop.is_set():
                pytest.fail(f"the load never reached: {what}")
            time.sleep(0.02)

    def successes_after(self, moment: float) -> int:
        return sum(
            1
            for answer in self.answers()
            if answer.started >= moment and answer.status is not None and answer.status < 300
        )

    @contextmanager
    def running(self) -> Iterator["SteadyLoad"]:
        threads = [
            threading.Thread(target=self._client, args=(n,), daemon=True)
            for n in range(self._clients)
        ]
        for thread in threads:
            thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            for thread in threads:
                thread.join(timeout=CLIENT_TIMEOUT_SECONDS + 5)

    def _client(self, number: int) -> None:
        with httpx.Client(
            base_url=self._base_url, headers=self._headers, timeout=CLIENT_TIMEOUT_SECONDS
        ) as client:
            for n in range(self._max_requests):
                if self._stop.is_set() or time.monotonic() > self._deadline:
                    return
                if n % 2 == 0:
                    title = f"c{number}-{n}"
                    request = client.build_request(
                        "POST",
                        "/posts/",
                        json={"title": title, "content": content_of(title)},
                    )
                    answer = call(client, "write", request, title=title)
                else:
                    path = "/posts/?limit=5" if n % 4 == 1 else "/users/me"
                    answer = call(client, "read", client.build_request("GET", path))
                with self._lock:
                    self._answers.append(answer)
                time.sleep(self._pause)


def tally(scenario: str, answers: list[Answer]) -> Tally:
    counted = Tally(scenario)
    for answer in answers:
        counted.count(answer.status)
    return counted


def check_unavailable_answers(answers: list[Answer]) -> None:
    """Every 503 is a problem document that says when to retry."""
    for answer in answers:
        if answer.status == 503:
            assert answer.retry_after is not None
            assert answer.retry_after.isdigit()
            assert answer.media_type == "application/problem+json"


def verify_writes(
    connection: psycopg.Connection,
    answers: list[Answer],
    *,
    preexisting: frozenset[str] = frozenset(),
) -> int:
    """Every acknowledged post is stored, whole, under its id; nothing else is stored but whole.

    A write that got an error (or no answer) may have been applied or not, as
    a commit can succeed just before the connection breaks, but never in part.
    `preexisting` names the posts that were there before the load. Returns how
    many acknowledged writes were found.
    """
    rows = connection.execute(
        "SELECT id, title, content FROM posts WHERE NOT title = ANY(%s)", [list(preexisting)]
    ).fetchall()
    stored = {title: (post_id, content) for post_id, title, content in rows}
    acknowledged = {
        answer.title: answer.post_id
        for answer in answers
        if answer.kind == "write" and answer.status == 201
    }
    sent = {answer.title for answer in answers if answer.kind == "write"}
    missing = sorted(str(title) for title in set(acknowledged) - set(stored))
    assert not missing, f"acknowledged but not stored: {missing[:5]}"
    assert all(stored[title][0] == post_id for title, post_id in acknowledged.items())
    half_written = [title for title, (_, content) in stored.items() if content != content_of(title)]
    assert not half_written
    assert set(stored) <= sent
    return len(acknowledged)
