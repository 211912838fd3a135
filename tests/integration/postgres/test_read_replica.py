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

from domain.posts import AuthoredPost
from domain.users import User
from infrastructure.container import Container
from infrastructure.persistence import migrator
from infrastructure.persistence.database import Database, Databases
from infrastructure.persistence.unit_of_work import PostgresUnitOfWork
from interfaces.http.app import create_app
from tests.conftest import column, execute, in_thread, make_settings
from tests.support.accounts import login, publish, sign_up
from tests.support.factories import new_post, new_user
from tests.support.problems import assert_problem

pytestmark = pytest.mark.postgres


@dataclass(frozen=True)
class Replicated:
    client: httpx.AsyncClient
    replica: Database
    replica_user: User
    replica_post: AuthoredPost


@pytest.fixture
async def replicated(
    pg_databases: Databases,
    app_databases: Databases,
    database_url: str,
    create_database: Callable[[], str],
) -> AsyncIterator[Replicated]:
    """The app with the run's database as primary and a second one, with a user and a post of
    its own, as the replica; pg_databases empties the primary after the test."""
    replica_url = create_database()
    in_thread(migrator.upgrade, replica_url)
    settings = make_settings(
        repository="postgres", database_url=database_url, database_replica_url=replica_url
    )
    container = Container(settings=providers.Object(settings))
    replica = Database(replica_url, settings, name="replica")
    await replica.open()
    await replica.pool.wait()  # connections still opening would count as checked out
    databases = Databases(primary=app_databases.primary, replica=replica)
    container.databases.override(providers.Object(databases))
    # Ids the primary will not reach in a test, so an id tells where a row lives.
    await execute(replica.pool, "ALTER TABLE users ALTER COLUMN id RESTART WITH 1000")
    on_replica = PostgresUnitOfWork(Databases(primary=replica))
    async with on_replica.write() as tx:
        user = await tx.users.add(new_user(username="only_on_replica"))
        added = await tx.posts.add(new_post(author_id=user.id, title="From the replica"))
        await tx.commit()
    async with on_replica.read() as repos:
        authored = await repos.posts.get_authored(added.post.id)
    assert authored is not None
    transport = httpx.ASGITransport(app=create_app(container))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Replicated(client, replica, user, authored)
    finally:
        await replica.close()


async def _usernames(database: Database) -> list[str]:
    return await column(database.pool, "SELECT username FROM users ORDER BY id")


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
    replicated: Replicated, pg_databases: Databases
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
    assert await _usernames(pg_databases.primary) == ["ada"]
    assert await _usernames(replicated.replica) == ["only_on_replica"]
    assert await column(pg_databases.primary.pool, "SELECT title FROM posts") == ["On the primary"]
    # Replication lag, as docs/operations.md warns: a read that may lag does not see it yet.
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

    await execute(replicated.replica.pool, "UPDATE alembic_version SET version_num = '0001'")
    response = await client.get("/health/ready")

    assert_problem(
        response,
        503,
        f"Not ready: the replica's schema is at 0001, this code needs {migrator.head_revision()}",
    )
