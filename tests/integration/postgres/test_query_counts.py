"""What requests cost in statements: a page of posts with their authors the same whatever
its size, a post read or published one statement each."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final
from unittest.mock import patch

import httpx
import psycopg
import pytest

from tests.support.accounts import publish, sign_up

pytestmark = pytest.mark.postgres


PRE_PING: Final = ""
"""psycopg_pool's `check_connection`: an empty query, which DB_POOL_PRE_PING sends only to a
connection the server has spoken to."""


@contextmanager
def recorded_statements() -> Iterator[list[str]]:
    """Collect the SQL sent through psycopg while the block runs, the pool's pre-ping aside.

    At the driver, so that it sees every statement: the repositories' own
    and any other. The pre-ping's empty query, sent only to a connection the
    server closed (see `test_the_pre_ping_costs_no_round_trip`), is no
    statement of the request's.
    """
    statements: list[str] = []
    with recorded_queries() as queries:
        yield statements
    statements.extend(query for query in queries if query != PRE_PING)


@contextmanager
def recorded_queries() -> Iterator[list[str]]:
    """Every query sent through psycopg while the block runs."""
    queries: list[str] = []
    execute = psycopg.AsyncCursor.execute

    async def record(
        cursor: psycopg.AsyncCursor[Any], query: Any, *args: Any, **kwargs: Any
    ) -> Any:
        queries.append(str(query))
        return await execute(cursor, query, *args, **kwargs)

    with patch.object(psycopg.AsyncCursor, "execute", record):
        yield queries


async def test_the_pre_ping_costs_no_round_trip(pg_client: httpx.AsyncClient) -> None:
    """DB_POOL_PRE_PING looks at a healthy connection's socket and sends it nothing."""
    post = await publish(pg_client, await sign_up(pg_client))

    with recorded_queries() as queries:
        await pg_client.get(f"/posts/{post['id']}")

    assert PRE_PING not in queries
    assert len(queries) == 1


@pytest.mark.parametrize("path", ["/posts/", "/users/{author}/posts", "/posts/?author_id={author}"])
async def test_a_page_of_1_and_a_page_of_100_cost_the_same_statements(
    pg_client: httpx.AsyncClient, path: str
) -> None:
    authors = [await sign_up(pg_client) for _ in range(4)]
    for n in range(100):
        await publish(pg_client, authors[n % 4] if "author" not in path else authors[0])
    url = path.format(author=authors[0].id)
    separator = "&" if "?" in url else "?"

    with recorded_statements() as one:
        small = await pg_client.get(f"{url}{separator}limit=1")
    with recorded_statements() as hundred:
        large = await pg_client.get(f"{url}{separator}limit=100")

    assert (len(small.json()), len(large.json())) == (1, 100)
    assert {post["author"]["username"] for post in large.json()} <= {a.username for a in authors}
    assert len(one) == len(hundred)
    assert sum("FROM posts JOIN users" in statement for statement in hundred) == 1


async def test_reading_one_post_is_one_statement(pg_client: httpx.AsyncClient) -> None:
    post = await publish(pg_client, await sign_up(pg_client))

    with recorded_statements() as statements:
        await pg_client.get(f"/posts/{post['id']}")

    assert len(statements) == 1


async def test_publishing_is_one_statement_with_no_read_of_the_account_first(
    pg_client: httpx.AsyncClient,
) -> None:
    """The INSERT checks and names the author; BEGIN and COMMIT are psycopg's own, unseen here."""
    author = await sign_up(pg_client)

    with recorded_statements() as statements:
        response = await pg_client.post(
            "/posts/", json={"title": "t", "content": "c"}, headers=author.headers
        )

    assert response.status_code == 201, response.text
    assert response.json()["author"] == {"id": author.id, "username": author.username}
    assert len(statements) == 1
    assert "INSERT INTO posts" in statements[0]
    assert "FOR KEY SHARE" in statements[0]


async def test_publishing_checks_the_session_in_its_one_statement(
    pg_client: httpx.AsyncClient,
) -> None:
    """A revoked session cannot publish, and checking that costs no statement of its own."""
    author = await sign_up(pg_client)

    with recorded_statements() as statements:
        await pg_client.post("/posts/", json={"title": "t", "content": "c"}, headers=author.headers)

    (insert,) = statements
    assert "FROM sessions" in insert
    assert "revoked_at IS NULL" in insert


async def test_reading_the_caller_is_one_statement_that_checks_the_session(
    pg_client: httpx.AsyncClient,
) -> None:
    account = await sign_up(pg_client)

    with recorded_statements() as statements:
        response = await pg_client.get("/users/me", headers=account.headers)

    assert response.status_code == 200
    (read,) = statements
    assert "JOIN sessions" in read
    assert "revoked_at IS NULL" in read
