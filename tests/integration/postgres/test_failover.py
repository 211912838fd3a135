"""A failover on loopback: a synchronous standby, the primary crashed, the standby promoted.

What the "no acknowledged write lost" promise needs, shown end to end: with
the standby named in `synchronous_standby_names` and `synchronous_commit`
at `on` (or stronger), a commit is acknowledged only once the standby holds
it, so every write the service acknowledged is on the standby when the
primary dies. The service's DATABASE_URL lists both servers with
`target_session_attrs=read-write`, so its pool finds the promoted standby by
itself: while there is no primary, a unit of work gets StorageUnavailableError
(a 503 a client may retry); once promoted, writes go through, with no restart.
"""

import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import psycopg
import pytest

from domain.errors import StorageUnavailableError
from domain.users import User
from infrastructure.persistence import migrator
from infrastructure.persistence.database import Database, Databases
from infrastructure.persistence.embedded import EmbeddedPostgres
from infrastructure.persistence.unit_of_work import PostgresUnitOfWork
from tests.conftest import execute_autocommit, in_thread, libpq_url, make_settings
from tests.support.factories import new_user
from tests.support.live_server import free_port
from tests.support.standby import Standby, crash, make_standby

pytestmark = pytest.mark.postgres

DATABASE: Final = "app"
ACKNOWLEDGED: Final = 20
PROMOTION_TIMEOUT_SECONDS: Final = 20


@dataclass(frozen=True)
class SynchronousPair:
    primary: EmbeddedPostgres
    standby: Standby

    @property
    def failover_url(self) -> str:
        """Both servers, the writable one wanted: what libpq connects to after a failover."""
        ports = f"127.0.0.1:{self.primary.port},127.0.0.1:{self.standby.server.port}"
        return f"postgresql://postgres@{ports}/{DATABASE}?target_session_attrs=read-write"


@pytest.fixture
def synchronous_pair() -> Iterator[SynchronousPair]:
    """A primary of its own (this test crashes it) and a standby it commits synchronously to."""
    folder = Path(tempfile.mkdtemp(prefix="users-posts-failover-"))
    primary = EmbeddedPostgres(folder / "primary", durable=False, port=free_port())
    try:
        primary.start()
        execute_autocommit(primary.url, f'CREATE DATABASE "{DATABASE}"')
        in_thread(migrator.upgrade, primary.url_for(DATABASE))
        # The embedded test server turns synchronous_commit off for speed; the promise needs it.
        execute_autocommit(primary.url, f'ALTER DATABASE "{DATABASE}" SET synchronous_commit = on')
        standby = make_standby(
            primary, folder / "standby", free_port(), application_name="standby1"
        )
        execute_autocommit(primary.url, "ALTER SYSTEM SET synchronous_standby_names = 'standby1'")
        execute_autocommit(primary.url, "SELECT pg_reload_conf()")
        _wait_until_synchronous(primary)
        try:
            yield SynchronousPair(primary=primary, standby=standby)
        finally:
            standby.stop()
    finally:
        primary.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_until_synchronous(primary: EmbeddedPostgres) -> None:
    deadline = time.monotonic() + 20
    with psycopg.connect(libpq_url(primary.url), autocommit=True) as connection:
        while True:
            row = connection.execute(
                "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'"
            ).fetchone()
            if row == ("sync",):
                return
            assert time.monotonic() < deadline, f"the standby is not synchronous: {row}"
            time.sleep(0.05)


async def _write(uow: PostgresUnitOfWork, username: str) -> User:
    async with uow.write() as tx:
        user = await tx.users.add(new_user(username=username))
        await tx.commit()
    return user


async def test_after_a_crash_and_a_promotion_no_acknowledged_write_is_lost(
    synchronous_pair: SynchronousPair,
) -> None:
    settings = make_settings(repository="postgres", db_pool_timeout=1.0, db_connect_timeout=2)
    database = Database(synchronous_pair.failover_url, settings, name="primary")
    await database.open()
    uow = PostgresUnitOfWork(Databases(primary=database))
    try:
        acknowledged = []
        for n in range(ACKNOWLEDGED):
            async with uow.write() as tx:
                acknowledged.append(await tx.users.add(new_user(username=f"before_{n}")))
                await tx.commit()

        crash(synchronous_pair.primary)
        with pytest.raises(StorageUnavailableError):
            await _write(uow, "while_there_is_no_primary")
        promoted_at = time.monotonic()
        synchronous_pair.standby.promote()
        refused = 0
        while True:
            try:
                after = await _write(uow, "after_the_promotion")
                break
            except StorageUnavailableError:
                refused += 1
                assert time.monotonic() - promoted_at < PROMOTION_TIMEOUT_SECONDS
        writable_after = time.monotonic() - promoted_at
        async with uow.read() as repos:
            found = [await repos.users.get(user.id) for user in acknowledged]
            found_after = await repos.users.get(after.id)
    finally:
        await database.close()

    print(
        f"failover: {ACKNOWLEDGED} acknowledged writes all on the promoted standby; first write "
        f"{writable_after * 1000:.0f} ms after pg_ctl promote returned, {refused} refused as 503"
    )
    assert found == acknowledged
    assert found_after == after
