"""Loading seeded rows in bulk: multi-row INSERTs for users, COPY for posts.

One ORM add per row would take hours for a million posts; COPY streams them
in the time Faker needs to invent them.
"""

import random
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from infrastructure.persistence.tables import users
from infrastructure.seeding.fake import SeedPostFactory, SeedUserFactory

SEED_PASSWORD: Final = "seeded-password"  # noqa: S105 - documented, for fake accounts only
"""Every seeded user's password: hashing a distinct one per user would take longer than seeding."""

POSTS_SPAN: Final = timedelta(days=365)
"""Seeded posts are spread over the past year, as a real history would be."""

Progress = Callable[[str, int], None]


class NoAuthorsError(RuntimeError):
    """Posts were asked for, but there is no user to write them."""


@dataclass(frozen=True, slots=True)
class SeedReport:
    tag: str
    users: int
    posts: int
    seconds: float


def _batches(total: int, size: int) -> Iterator[int]:
    while total > 0:
        yield min(size, total)
        total -= size


async def seed(
    engine: AsyncEngine,
    *,
    users_count: int,
    posts_count: int,
    password_hash: str,
    batch_size: int = 5_000,
    progress: Progress | None = None,
) -> SeedReport:
    """Add `users_count` users, then `posts_count` posts by those users (or by existing ones)."""
    started = time.perf_counter()
    tag = secrets.token_hex(3)
    report = progress or (lambda _table, _count: None)
    author_ids: list[int] = []
    for size in _batches(users_count, batch_size):
        async with engine.begin() as connection:
            author_ids.extend(await _insert_users(connection, tag, size, password_hash))
        report("users", size)
    if posts_count and not author_ids:
        async with engine.connect() as connection:
            author_ids = list((await connection.execute(select(users.c.id))).scalars())
        if not author_ids:
            raise NoAuthorsError("there are no users to write the posts; seed some users too")
    now = datetime.now(UTC)
    for size in _batches(posts_count, batch_size):
        async with engine.begin() as connection:
            await _copy_posts(connection, size, author_ids, now)
        report("posts", size)
    return SeedReport(
        tag=tag, users=users_count, posts=posts_count, seconds=time.perf_counter() - started
    )


async def _insert_users(
    connection: AsyncConnection, tag: str, size: int, password_hash: str
) -> list[int]:
    rows = [
        {"email": user.email, "username": user.username, "password_hash": password_hash}
        for user in SeedUserFactory.build_batch(size, tag=tag)
    ]
    # SQLAlchemy sends these as multi-row INSERTs ("insertmanyvalues"), RETURNING the ids.
    result = await connection.execute(insert(users).returning(users.c.id), rows)
    return list(result.scalars())


async def _copy_posts(
    connection: AsyncConnection, size: int, author_ids: list[int], now: datetime
) -> None:
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None  # noqa: S101 - an open connection always has one
    statement = "COPY posts (title, content, author_id, created_at, updated_at) FROM STDIN"
    async with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for post in SeedPostFactory.build_batch(size):
            created_at = now - POSTS_SPAN * random.random()  # noqa: S311 - fake data
            author_id = random.choice(author_ids)  # noqa: S311 - fake data
            await copy.write_row((post.title, post.content, author_id, created_at, created_at))
