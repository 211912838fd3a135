"""A real streaming standby behind DATABASE_REPLICA_URL: what a read that may lag sees.

The standby replays the primary's WAL; pausing the replay makes it lag on
purpose, and a read sent there misses a write the primary already holds.
"""

from collections.abc import AsyncIterator

import pytest

from infrastructure.persistence.database import Database, Databases
from infrastructure.persistence.unit_of_work import PostgresUnitOfWork
from tests.conftest import make_settings
from tests.integration.postgres.conftest import StreamingPair
from tests.support.factories import new_user

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pair_databases(replication: StreamingPair) -> AsyncIterator[Databases]:
    settings = make_settings(repository="postgres", database_url=replication.primary_url)
    databases = Databases(
        primary=Database(replication.primary_url, settings, name="primary"),
        replica=Database(replication.standby_url, settings, name="replica"),
    )
    await databases.open()
    yield databases
    await databases.close()


async def test_the_standby_is_read_only_and_replays_the_primary(
    replication: StreamingPair, pair_databases: Databases
) -> None:
    uow = PostgresUnitOfWork(pair_databases)
    async with uow.write() as tx:
        added = await tx.users.add(new_user(username="streamed"))
        await tx.commit()
    replication.standby.catch_up()

    async with uow.read(may_lag=True) as repos:
        seen = await repos.users.get(added.id)
    with replication.standby.connect("app") as standby:
        in_recovery = standby.execute("SELECT pg_is_in_recovery()").fetchone()

    assert seen == added
    assert in_recovery == (True,)


async def test_a_paused_replica_makes_a_read_that_may_lag_miss_a_fresh_write(
    replication: StreamingPair, pair_databases: Databases
) -> None:
    uow = PostgresUnitOfWork(pair_databases)
    replication.standby.pause_replay()

    async with uow.write() as tx:
        added = await tx.users.add(new_user(username="written_while_paused"))
        await tx.commit()
    async with uow.read(may_lag=True) as repos:
        on_the_replica = await repos.users.get(added.id)
    async with uow.read(may_lag=False) as repos:
        on_the_primary = await repos.users.get(added.id)
    replication.standby.resume_replay()
    replication.standby.catch_up()
    async with uow.read(may_lag=True) as repos:
        after_the_replay = await repos.users.get(added.id)

    assert on_the_replica is None
    assert on_the_primary == added
    assert after_the_replay == added
