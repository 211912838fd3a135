"""Loading seeded rows in bulk: one INSERT per batch of users, COPY for posts.

One INSERT per row would take hours for a million posts; COPY streams them
in the time Faker needs to invent them. Both run on a connection from the
service's own pool, each batch in a transaction of its own.
"""

import random
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from psycopg_pool import AsyncConnectionPool
from sqlalchemy import String, Text, bindparam, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY

from infrastructure.persistence.statements import Connection, Statement
from infrastructure.persistence.tables import users
from infrastructure.seeding.fake import SeedPostFactory, SeedUserFactory

SEED_PASSWORD: Final = "seeded-password"  # noqa: S105 - documented, for fake accounts only
"""Every seeded user's password: hashing a distinct one per user would take longer than seeding."""

POSTS_SPAN: Final = timedelta(days=365)
"""Seeded posts are spread over the past year, as a real history would be."""

Progress = Callable[[str, int], None]

# A batch of users in one statement: the arrays unnested side by side, one row per element.
_INSERT_USERS: Final = Statement(
    insert(users)
    .from_select(
        ["email", "username", "password_hash"],
        select(
            func.unnest(bindparam("emails", type_=ARRAY(String()))),
            func.unnest(bindparam("usernames", type_=ARRAY(String()))),
            bindparam("password_hash", type_=Text()),
        ),
    )
    .returning(users.c.id)
)
_USER_IDS: Final = Statement(select(users.c.id))
_COPY_POSTS: Final = "COPY posts (title, content, author_id, created_at, updated_at) FROM STDIN"
# A COPY of a large batch runs as long as Faker takes to write it: the statement
# timeout bounds requests, not an operator's bulk load.
_UNBOUNDED: Final = "SET LOCAL statement_timeout = 0"


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
    pool: AsyncConnectionPool[Connection],
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
    async with pool.connection() as connection:
        for size in _batches(users_count, batch_size):
            async with connection.transaction():
                await connection.execute(_UNBOUNDED)
                author_ids.extend(await _insert_users(connection, tag, size, password_hash))
            report("users", size)
        if posts_count and not author_ids:
            author_ids = [row["id"] for row in await _USER_IDS.rows(connection, {})]
            if not author_ids:
                raise NoAuthorsError("there are no users to write the posts; seed some users too")
        now = datetime.now(UTC)
        for size in _batches(posts_count, batch_size):
            async with connection.transaction():
                await connection.execute(_UNBOUNDED)
                await _copy_posts(connection, size, author_ids, now)
            report("posts", size)
    return SeedReport(
        tag=tag, users=users_count, posts=posts_count, seconds=time.perf_counter() - started
    )


async def _insert_users(
    connection: Connection, tag: str, size: int, password_hash: str
) -> list[int]:
    batch = SeedUserFactory.build_batch(size, tag=tag)
    values = {
        "emails": [user.email for user in batch],
        "usernames": [user.username for user in batch],
        "password_hash": password_hash,
    }
    return [row["id"] for row in await _INSERT_USERS.rows(connection, values)]


async def _copy_posts(
    connection: Connection, size: int, author_ids: list[int], now: datetime
) -> None:
    async with connection.cursor() as cursor, cursor.copy(_COPY_POSTS) as copy:
        for post in SeedPostFactory.build_batch(size):
            created_at = now - POSTS_SPAN * random.random()  # noqa: S311 - fake data
            author_id = random.choice(author_ids)  # noqa: S311 - fake data
            await copy.write_row((post.title, post.content, author_id, created_at, created_at))
