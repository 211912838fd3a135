"""DATABASE_REPLICA_URL: the reads that may lag go to the replica, everything else to the primary.

The "replica" is a second database on the test server, migrated like the
first and holding other rows, so an answer shows which database it came from.
"""

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
import pytest
from dependency_injector import providers
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.posts import AuthoredPost
from domain.users import User
from infrastructure.container import Container
from infrastructure.persistence import migrator
from infrastructure.persistence.unit_of_work import PostgresUnitOfWork
from interfaces.http.app import create_app
from tests.conftest import in_thread, make_settings
from tests.factories import new_post, new_user
from tests.integration.accounts import login, publish, sign_up
from tests.integration.problems import assert_problem

pytestmark = pytest.mark.postgres


@dataclass(frozen=True)
class Replicated:
    client: httpx.AsyncClient
    replica: AsyncEngine
    replica_user: User
    replica_post: AuthoredPost


@pytest.fixture
async def replicated(
    pg_engine: AsyncEngine,
    app_engine: AsyncEngine,
    database_url: str,
    create_database: Callable[[], str],
) -> AsyncIterator[Replicated]:
    """The app with the run's database as primary and a second one, with a user and a post of
    its own, as the replica; pg_engine empties the primary after the test."""
    replica_url = create_database()
    in_thread(migrator.upgrade, replica_url)
    container = Container(
        settings=providers.Object(
            make_settings(
                repository="postgres", database_url=database_url, database_replica_url=replica_url
            )
        )
    )
    container.engine.override(providers.Object(app_engine))
    replica = container.replica_engine()
    assert replica is not None
    async with replica.begin() as connection:
        # Ids the primary will not reach in a test, so an id tells where a row lives.
        await connection.execute(text("ALTER TABLE users ALTER COLUMN id RESTART WITH 1000"))
    async with PostgresUnitOfWork(replica) as uow:
        user = await uow.users.add(new_user(username="only_on_replica"))
        added = await uow.posts.add(new_post(author_id=user.id, title="From the replica"))
        await uow.commit()
    async with PostgresUnitOfWork(replica).reading() as uow:
        authored = await uow.posts.get_authored(added.post.id)
    assert authored is not None
    transport = httpx.ASGITransport(app=create_app(container))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Replicated(client, replica, user, authored)
    finally:
        await replica.dispose()


async def _usernames(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT username FROM users ORDER BY id"))
        return list(rows.scalars())


async def test_reads_that_may_lag_come_from_the_replica(replicated: Replicated) -> None:
    client, user, post = replicated.client, replicated.replica_user, replicated.replica_post

    users = (await client.get("/users/")).json()
    one_user = (await client.get(f"/users/{user.id}")).json()
    posts = (await client.get("/posts/")).json()
    one_post = (await client.get(f"/posts/{post.post.id}")).json()
    authors_posts = (await client.get(f"/users/{user.id}/posts")).json()

    assert [listed["username"] for listed in users] == ["only_on_replica"]
    assert one_user["username"] == "only_on_replica"
    assert [listed["title"] for listed in posts] == ["From the replica"]
    assert one_post["author"] == {"id": user.id, "username": "only_on_replica"}
    assert [listed["id"] for listed in authors_posts] == [post.post.id]


async def test_writes_logging_in_and_tokens_use_the_primary(
    replicated: Replicated, pg_engine: AsyncEngine
) -> None:
    client = replicated.client

    # Registering checks for duplicates, logging in finds the account, and every
    # locked request finds the caller: all on the primary, where the account is.
    account = await sign_up(client, username="ada", email="ada@example.com")
    me = await client.get("/users/me", headers=account.headers)
    await publish(client, account, title="On the primary")
    taken = await client.post(
        "/users/", json={"email": "ADA@example.com", "username": "bob", "password": "pass-word-1"}
    )

    assert me.status_code == 200
    assert me.json()["username"] == "ada"
    assert_problem(taken, 409, "Email already registered")
    assert await _usernames(pg_engine) == ["ada"]
    assert await _usernames(replicated.replica) == ["only_on_replica"]
    async with pg_engine.connect() as connection:
        titles = await connection.execute(text("SELECT title FROM posts"))
        assert list(titles.scalars()) == ["On the primary"]
    # Replication lag, as the README warns: a read that may lag does not see it yet.
    assert (await client.get(f"/users/{account.id}")).status_code == 404
    assert (await login(client, "only_on_replica")).status_code == 401


async def test_metrics_report_the_replica_pool(replicated: Replicated) -> None:
    await replicated.client.get("/users/")

    text = (await replicated.client.get("/metrics")).text

    gauges = dict(re.findall(r"^(db_(?:replica_)?pool_\w+) (\S+)$", text, flags=re.MULTILINE))
    assert float(gauges["db_replica_pool_size"]) >= 1
    assert float(gauges["db_replica_pool_checked_out"]) == 0
    assert {"db_pool_size", "db_pool_checked_out", "db_pool_overflow"} <= gauges.keys()


async def test_readiness_covers_the_replica(replicated: Replicated) -> None:
    client = replicated.client
    assert (await client.get("/health/ready")).json()["detail"] == (
        "database and read replica reachable, schema at head"
    )

    async with replicated.replica.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    response = await client.get("/health/ready")

    assert_problem(
        response,
        503,
        f"Not ready: the replica's schema is at 0001, this code needs {migrator.head_revision()}",
    )
