"""Many clients at once on the same rows, through a real server on PostgreSQL.

The requests of each race are released together by a barrier, each from a
thread with its own connection to the server, so they reach the database as
close together as this machine allows. They run on the session's test
server (TEST_DATABASE_URL or the embedded one), so CI runs them on both.
"""

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Final

import httpx
import psycopg
import pytest

from infrastructure.persistence import migrator
from tests.conftest import in_thread, libpq_url
from tests.resilience.figures import Tally
from tests.resilience.load import CLIENT_TIMEOUT_SECONDS, PASSWORD, sign_up
from tests.support.live_server import serving

pytestmark = [pytest.mark.resilience, pytest.mark.postgres]

PARALLEL: Final = 50


class RaceServer:
    """The service on a database of its own, and a way to look into that database."""

    def __init__(self, base_url: str, database_url: str) -> None:
        self.base_url = base_url
        self._database_url = libpq_url(database_url)

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        with psycopg.connect(self._database_url) as connection:
            return list(connection.execute(sql.encode(), params).fetchall())

    def all_at_once(
        self, requests: list[Callable[[httpx.Client], httpx.Response]]
    ) -> list[httpx.Response]:
        """Send `requests` in parallel, released together; their responses in the same order."""
        barrier = threading.Barrier(len(requests))

        def send(request: Callable[[httpx.Client], httpx.Response]) -> httpx.Response:
            with httpx.Client(base_url=self.base_url, timeout=CLIENT_TIMEOUT_SECONDS) as client:
                # Not connected beforehand: a kept-alive connection left waiting here
                # longer than uvicorn's keep-alive timeout would be closed under it.
                barrier.wait(timeout=CLIENT_TIMEOUT_SECONDS)
                return request(client)

        with ThreadPoolExecutor(max_workers=len(requests)) as pool:
            return list(pool.map(send, requests))


@pytest.fixture(scope="module")
def race_server(create_database: Callable[[], str]) -> Iterator[RaceServer]:
    url = create_database()
    in_thread(migrator.upgrade, url)
    # 50 edits of one row wait for each other's locks in turn: on a busy machine
    # the last may wait longer than the default statement timeout, which is
    # not what these tests are about (test_faults is).
    environment = {"DB_STATEMENT_TIMEOUT": "30", "LOG_LEVEL": "WARNING"}
    with serving(DATABASE_URL=libpq_url(url), **environment) as (base_url, _):
        yield RaceServer(base_url, url)


def _tally(scenario: str, responses: list[httpx.Response]) -> Tally:
    counted = Tally(scenario)
    for response in responses:
        counted.count(response.status_code)
    return counted


def _register(email: str, username: str) -> Callable[[httpx.Client], httpx.Response]:
    body = {"email": email, "username": username, "password": PASSWORD}
    return lambda client: client.post("/users/", json=body)


def _in_case(word: str, n: int) -> str:
    """The n-th way of writing `word` in upper and lower case."""
    return "".join(c.upper() if (n >> i) & 1 else c for i, c in enumerate(word))


@pytest.mark.parametrize(
    ("field", "problem"),
    [("email", "email-already-registered"), ("username", "username-already-taken")],
)
def test_parallel_registrations_of_one_identity_give_one_201(
    race_server: RaceServer, field: str, problem: str
) -> None:
    if field == "email":
        requests = [
            _register(f"{_in_case('same', n)}@example.com", f"email-racer-{n}")
            for n in range(PARALLEL)
        ]
    else:
        requests = [
            _register(f"name-racer-{n}@example.com", _in_case("samename", n))
            for n in range(PARALLEL)
        ]

    responses = race_server.all_at_once(requests)

    figures = _tally(f"{PARALLEL} parallel registrations, one {field}", responses)
    key = (
        "lower(email) = 'same@example.com'" if field == "email" else "lower(username) = 'samename'"
    )
    stored = race_server.query(f"SELECT count(*) FROM users WHERE {key}")  # noqa: S608 - constants
    figures.writes_verified = int(str(stored[0][0]))
    figures.report()
    assert Counter(r.status_code for r in responses) == {201: 1, 409: PARALLEL - 1}
    assert {r.json()["type"] for r in responses if r.status_code == 409} == {f"/problems/{problem}"}
    assert figures.writes_verified == 1


def test_parallel_edits_of_one_post_end_in_one_version_with_monotonic_updated_at(
    race_server: RaceServer,
) -> None:
    token = sign_up(race_server.base_url, "editor")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=race_server.base_url, headers=headers) as client:
        post_id = client.post("/posts/", json={"title": "v", "content": "v"}).json()["id"]
    versions = [(f"version {n}", f"the text of version {n}") for n in range(PARALLEL)]

    def edit(title: str, content: str) -> Callable[[httpx.Client], httpx.Response]:
        body = {"title": title, "content": content}
        return lambda client: client.patch(f"/posts/{post_id}", json=body, headers=headers)

    responses = race_server.all_at_once([edit(title, content) for title, content in versions])

    [(title, content, final_updated_at)] = race_server.query(
        "SELECT title, content, updated_at FROM posts WHERE id = %s", post_id
    )
    assert isinstance(final_updated_at, datetime)
    answered = [datetime.fromisoformat(r.json()["updated_at"]) for r in responses]
    figures = _tally(f"{PARALLEL} parallel edits of one post", responses)
    figures.writes_verified = int((title, content) in versions)
    figures.report(distinct_updated_at=len(set(answered)), final=title)
    assert [r.status_code for r in responses] == [200] * PARALLEL
    assert (title, content) in versions, "the row is one submitted version, not a mix"
    # Each edit commits after the ones before it on the row's lock, so none may
    # claim a later time than the row ends with, and the last one's is the row's.
    assert all(moment <= final_updated_at for moment in answered)
    assert max(answered) == final_updated_at


def test_parallel_edits_of_different_fields_all_land(race_server: RaceServer) -> None:
    token = sign_up(race_server.base_url, "partial")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=race_server.base_url, headers=headers) as client:
        original = {"title": "original", "content": "original"}
        post_id = client.post("/posts/", json=original).json()["id"]
    edits = [
        {"title": f"title {n}"} if n % 2 else {"content": f"text {n}"} for n in range(PARALLEL)
    ]

    def edit(body: dict[str, str]) -> Callable[[httpx.Client], httpx.Response]:
        return lambda client: client.patch(f"/posts/{post_id}", json=body, headers=headers)

    responses = race_server.all_at_once([edit(body) for body in edits])

    [stored] = race_server.query("SELECT title, content FROM posts WHERE id = %s", post_id)
    assert [r.status_code for r in responses] == [200] * PARALLEL
    # updated_at orders the edits as they were applied (it never repeats or goes
    # back, see the test above). Replayed in that order, each edit must have kept
    # the other field as the edits before it left it: a lost update shows as an
    # edit that wrote back a value it had read before a parallel one committed.
    applied = sorted(
        zip(edits, [r.json() for r in responses], strict=True),
        key=lambda pair: datetime.fromisoformat(pair[1]["updated_at"]),
    )
    state = dict(original)
    kept = 0
    for body, answered in applied:
        state.update(body)
        kept += (answered["title"], answered["content"]) == (state["title"], state["content"])
    figures = _tally(
        f"{PARALLEL} parallel edits, half of the title, half of the content", responses
    )
    figures.writes_verified = kept
    figures.report(final_title=stored[0], final_content=stored[1])
    assert kept == PARALLEL, "no edit undid another"
    assert stored == (state["title"], state["content"])


CREATORS: Final = 3
LISTERS: Final = 2
MAX_REQUESTS_PER_CLIENT: Final = 300


def test_deleting_a_user_while_their_posts_are_listed_and_created(
    race_server: RaceServer,
) -> None:
    token = sign_up(race_server.base_url, "leaving")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=race_server.base_url, headers=headers) as client:
        user_id = client.get("/users/me").json()["id"]
    stop = threading.Event()
    lock = threading.Lock()
    answers: list[tuple[str, float, int]] = []

    def hammer(kind: str, send: Callable[[httpx.Client, int], httpx.Response]) -> None:
        with httpx.Client(
            base_url=race_server.base_url, headers=headers, timeout=CLIENT_TIMEOUT_SECONDS
        ) as client:
            for n in range(MAX_REQUESTS_PER_CLIENT):
                if stop.is_set():
                    return
                started = time.monotonic()
                status = send(client, n).status_code
                with lock:
                    answers.append((kind, started, status))

    def create(client: httpx.Client, n: int) -> httpx.Response:
        return client.post("/posts/", json={"title": f"p{n}", "content": "soon orphaned?"})

    def list_posts(client: httpx.Client, n: int) -> httpx.Response:
        return client.get(f"/users/{user_id}/posts" if n % 2 else f"/posts/?author_id={user_id}")

    threads = [threading.Thread(target=hammer, args=("create", create)) for _ in range(CREATORS)]
    threads += [threading.Thread(target=hammer, args=("list", list_posts)) for _ in range(LISTERS)]
    for thread in threads:
        thread.start()
    try:
        _wait_for(lambda: sum(1 for kind, _, s in answers if kind == "create" and s == 201) >= 10)
        with httpx.Client(base_url=race_server.base_url, headers=headers) as client:
            deleted_at = time.monotonic()
            deleted = client.delete("/users/me")
        _wait_for(lambda: sum(1 for _, started, _ in answers if started > deleted_at) >= 20)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=CLIENT_TIMEOUT_SECONDS + 5)

    orphans = race_server.query(
        "SELECT count(*) FROM posts WHERE NOT EXISTS"
        " (SELECT 1 FROM users WHERE users.id = posts.author_id)"
    )
    left = race_server.query("SELECT count(*) FROM posts WHERE author_id = %s", user_id)
    figures = Tally("deleting a user amid their posts")
    for _, _, status in answers:
        figures.count(status)
    figures.report(delete=deleted.status_code, orphan_posts=orphans[0][0], posts_left=left[0][0])
    assert deleted.status_code == 204
    assert figures.other_5xx == 0
    assert figures.unavailable == 0
    statuses = {(kind, status) for kind, _, status in answers}
    # After the delete: a token of a deleted user is a 401, also for a create whose
    # INSERT found the account gone meanwhile, and the listings empty (or 404 for
    # the user's own).
    assert statuses <= {
        ("create", 201),
        ("create", 401),
        ("list", 200),
        ("list", 404),
    }
    assert orphans == [(0,)]
    assert left == [(0,)]


def _wait_for(done: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            pytest.fail("the race never got under way")
        time.sleep(0.02)
