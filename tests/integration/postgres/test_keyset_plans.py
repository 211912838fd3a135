"""A page read by cursor costs the same at any depth: PostgreSQL's plans, not timings, show it."""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Select

from domain.posts import PostKey
from infrastructure.persistence.posts import page_statement
from infrastructure.persistence.statements import Connection, Statement

pytestmark = pytest.mark.postgres

POSTS = 20_000
LIMIT = 20


async def _plan(connection: Connection, page: tuple[Select[Any], dict[str, Any]]) -> dict[str, Any]:
    shape, parameters = page
    statement = Statement(shape)
    cursor = await connection.execute(
        f"EXPLAIN (ANALYZE, FORMAT JSON) {statement.sql}".encode(),
        statement.parameters(parameters),
    )
    row = await cursor.fetchone()
    assert row is not None
    plan: dict[str, Any] = row[0][0]["Plan"]
    return plan


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _posts_scan(plan: dict[str, Any]) -> dict[str, Any]:
    (scan,) = [node for node in _nodes(plan) if node.get("Relation Name") == "posts"]
    return scan


@pytest.fixture
async def many_posts(pg_connection: Connection) -> list[PostKey]:
    """20,000 posts by two authors, spread over time; returns every key, newest first."""
    connection = pg_connection
    await connection.execute(
        "INSERT INTO users (email, username, password_hash) VALUES "
        "('one@example.com', 'one', 'x'), ('two@example.com', 'two', 'x')"
    )
    await connection.execute(
        "INSERT INTO posts (title, content, author_id, created_at, updated_at) "
        "SELECT 'title ' || n, 'content', (SELECT min(id) FROM users) + n %% 2, "
        "       now() - n * interval '1 second', now() "
        "FROM generate_series(1, %s) AS n",
        [POSTS],
    )
    await connection.execute("ANALYZE users, posts")
    cursor = await connection.execute(
        "SELECT created_at, id FROM posts ORDER BY created_at DESC, id DESC"
    )
    return [
        PostKey(created_at=created_at, id=post_id)
        for created_at, post_id in await cursor.fetchall()
    ]


@pytest.mark.parametrize("author", [False, True], ids=["all-posts", "one-author"])
async def test_the_first_and_the_thousandth_page_read_the_same_rows(
    pg_connection: Connection, many_posts: list[PostKey], author: bool
) -> None:
    author_id = None
    if author:
        row = await (await pg_connection.execute("SELECT min(id) FROM users")).fetchone()
        author_id = None if row is None else row[0]
    shallow_key = many_posts[0]
    deep_key = many_posts[-LIMIT * 2] if not author else many_posts[-LIMIT * 4]
    plans = [
        await _plan(pg_connection, page_statement(limit=LIMIT + 1, author_id=author_id, after=key))
        for key in (shallow_key, deep_key)
    ]

    for plan in plans:
        scan = _posts_scan(plan)
        assert "Index" in scan["Node Type"], f"an index range, not {scan['Node Type']}"
        assert scan["Scan Direction"] == "Backward"
        read = scan["Actual Rows"] + scan.get("Rows Removed by Filter", 0)
        assert read <= 2 * (LIMIT + 1), "reads about the page, not what lies before it"
        assert not any(node["Node Type"] == "Sort" for node in _nodes(plan))


async def test_an_offset_page_reads_everything_before_it(
    pg_connection: Connection, many_posts: list[PostKey]
) -> None:
    """The contrast that makes cursors worth having: `skip` costs as deep as it goes."""
    plan = await _plan(pg_connection, page_statement(limit=LIMIT + 1, skip=POSTS - LIMIT * 2))

    assert _posts_scan(plan)["Actual Rows"] > POSTS - LIMIT * 2


def test_post_keys_order_as_the_listing_does() -> None:
    older = PostKey(created_at=datetime.fromisoformat("2026-01-01T00:00:00+00:00"), id=9)
    newer_same_time = PostKey(created_at=older.created_at, id=10)

    assert sorted([newer_same_time, older], reverse=True) == [newer_same_time, older]
