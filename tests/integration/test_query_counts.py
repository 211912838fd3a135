"""Listing posts with their authors costs the same statements whatever the page size."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.accounts import publish, sign_up

pytestmark = pytest.mark.postgres


@contextmanager
def recorded_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Collect the SQL the engine sends while the block runs."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


@pytest.mark.parametrize("path", ["/posts/", "/users/{author}/posts", "/posts/?author_id={author}"])
async def test_a_page_of_1_and_a_page_of_100_cost_the_same_statements(
    pg_client: httpx.AsyncClient, app_engine: AsyncEngine, path: str
) -> None:
    authors = [await sign_up(pg_client) for _ in range(4)]
    for n in range(100):
        await publish(pg_client, authors[n % 4] if "author" not in path else authors[0])
    url = path.format(author=authors[0].id)
    separator = "&" if "?" in url else "?"

    with recorded_statements(app_engine) as one:
        small = await pg_client.get(f"{url}{separator}limit=1")
    with recorded_statements(app_engine) as hundred:
        large = await pg_client.get(f"{url}{separator}limit=100")

    assert (len(small.json()), len(large.json())) == (1, 100)
    assert {post["author"]["username"] for post in large.json()} <= {a.username for a in authors}
    assert len(one) == len(hundred)
    assert sum("FROM posts JOIN users" in statement for statement in hundred) == 1


async def test_reading_one_post_is_one_statement(
    pg_client: httpx.AsyncClient, app_engine: AsyncEngine
) -> None:
    post = await publish(pg_client, await sign_up(pg_client))

    with recorded_statements(app_engine) as statements:
        await pg_client.get(f"/posts/{post['id']}")

    assert len(statements) == 1
