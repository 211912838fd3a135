"""DATABASE_REPLICA_URL on a real streaming standby, through the app: who reads what, and when.

Lag is made by pausing the standby's replay and writing on the primary.
What a reader sees then: an anonymous read that may lag misses the fresh
write while the replica is within REPLICA_MAX_LAG_SECONDS; the caller who
wrote never misses it (its `written_lsn` cookie sends its reads to the
primary until the replica has replayed that far); a replica further behind,
or stopped, is skipped and the primary serves, with no 503; /health/ready and
/metrics say which.
"""

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from dependency_injector import providers

from infrastructure.container import Container, running
from infrastructure.persistence import migrator
from infrastructure.persistence.database import Databases
from infrastructure.persistence.replica import ReadRouting, ReplicaMonitor
from infrastructure.persistence.schema import SCHEMA_HEAD
from interfaces.http.app import create_app
from tests.conftest import in_thread, make_settings
from tests.integration.postgres.conftest import StreamingPair
from tests.support.accounts import login, publish, sign_up

pytestmark = pytest.mark.postgres

PROBE_INTERVAL = 0.1
"""Ten times the service's own interval: the same probe, so that a test waits less."""
WAIT_SECONDS = 15


@dataclass(frozen=True)
class ReplicaApp:
    client: httpx.AsyncClient
    """A caller that keeps its cookies, as browsers and httpx's clients do."""
    anonymous: httpx.AsyncClient
    """Another caller, which never wrote."""
    routing: ReadRouting
    pair: StreamingPair

    async def until(self, detail: str) -> str:
        """Wait until /health/ready's detail contains `detail`; return the detail."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            answer = await self.anonymous.get("/health/ready")
            assert answer.status_code == 200, answer.text
            said: str = answer.json()["detail"]
            if detail in said:
                return said
            assert time.monotonic() < deadline, f"/health/ready still says {said!r}"
            await asyncio.sleep(PROBE_INTERVAL)

    def write_elsewhere(self, title: str) -> int:
        """A post written on the primary by someone else (no cookie comes back); its id."""
        with self.pair.connect_primary() as connection:
            author = connection.execute(
                "INSERT INTO users (email, username, password_hash)"
                " VALUES (%s, %s, 'x') RETURNING id",
                [f"{title}@example.com", title],
            ).fetchone()
            assert author is not None
            row = connection.execute(
                "INSERT INTO posts (title, content, author_id) VALUES (%s, 'c', %s) RETURNING id",
                [title, author[0]],
            ).fetchone()
            assert row is not None
            return int(row[0])


@asynccontextmanager
async def replica_app(
    pair: StreamingPair, *, max_lag: float, replica_url: str | None = None
) -> AsyncIterator[ReplicaApp]:
    settings = make_settings(
        repository="postgres",
        database_url=pair.primary_url,
        database_replica_url=replica_url or pair.standby_url,
        replica_max_lag_seconds=max_lag,
    )
    container = Container(settings=providers.Object(settings))
    databases: Databases = container.databases()
    assert databases.replica is not None
    routing = ReadRouting(
        databases,
        ReplicaMonitor(
            databases.primary,
            databases.replica,
            max_lag_seconds=max_lag,
            expected_revision=SCHEMA_HEAD,
            interval=PROBE_INTERVAL,
            timeout=1.0,
        ),
    )
    container.read_routing.override(providers.Object(routing))
    app = create_app(container)
    async with (
        running(container),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as anonymous,
    ):
        replica_app = ReplicaApp(client, anonymous, routing, pair)
        await replica_app.until("on the read replica" if replica_url is None else "primary")
        yield replica_app


@pytest.fixture
async def patient(replication: StreamingPair) -> AsyncIterator[ReplicaApp]:
    """Behind the replica: a limit no test reaches, so the paused replica keeps serving."""
    async with replica_app(replication, max_lag=60) as app:
        yield app


@pytest.fixture
async def strict(replication: StreamingPair) -> AsyncIterator[ReplicaApp]:
    async with replica_app(replication, max_lag=0.5) as app:
        yield app


async def test_an_anonymous_read_may_lag_behind_a_paused_replica(patient: ReplicaApp) -> None:
    patient.pair.standby.pause_replay()
    post_id = patient.write_elsewhere("unseen")

    while_paused = await patient.anonymous.get(f"/posts/{post_id}")
    listing = await patient.anonymous.get("/posts/")
    patient.pair.standby.resume_replay()
    patient.pair.standby.catch_up()
    replayed = await patient.anonymous.get(f"/posts/{post_id}")

    assert while_paused.status_code == 404
    assert listing.json() == []
    assert replayed.status_code == 200
    assert patient.routing.reads["replica"] >= 3


async def test_the_caller_who_wrote_never_misses_its_write(patient: ReplicaApp) -> None:
    client = patient.client
    patient.pair.standby.pause_replay()

    account = await sign_up(client, username="ada")
    post = await publish(client, account, title="Mine")
    own_post = await client.get(f"/posts/{post['id']}")
    own_list = await client.get(f"/users/{account.id}/posts")
    own_account = await client.get(f"/users/{account.id}")
    others_see = await patient.anonymous.get(f"/posts/{post['id']}")
    # Logging in decides who the caller is: on the primary, cookie or not.
    logged_in = await login(patient.anonymous, "ada")

    assert (own_post.status_code, own_account.status_code) == (200, 200)
    assert [listed["id"] for listed in own_list.json()] == [post["id"]]
    assert others_see.status_code == 404
    assert logged_in.status_code == 200
    assert patient.routing.reads["caller_write"] == 3
    assert re.fullmatch(r"[0-9A-F]+/[0-9A-F]+", client.cookies["written_lsn"])


async def test_once_replayed_the_callers_reads_return_to_the_replica(
    patient: ReplicaApp,
) -> None:
    client = patient.client
    account = await sign_up(client, username="grace")
    post = await publish(client, account, title="Replayed soon")
    written = time.monotonic()
    seen_on_replica_after = None
    for _ in range(400):
        before = patient.routing.reads["replica"]
        answer = await client.get(f"/posts/{post['id']}")
        assert answer.status_code == 200
        if patient.routing.reads["replica"] > before:
            seen_on_replica_after = time.monotonic() - written
            break
        await asyncio.sleep(PROBE_INTERVAL / 4)

    assert seen_on_replica_after is not None
    # Soon after the replay (124 ms on a quiet machine, docs/operations.md): the probe's
    # view of the replay decides, not the cookie's age (61 s at this limit).
    assert seen_on_replica_after < 5
    print(f"caller's reads back on the replica {seen_on_replica_after * 1000:.0f} ms after")


async def test_a_replica_further_behind_than_the_limit_is_skipped(strict: ReplicaApp) -> None:
    strict.pair.standby.pause_replay()
    post_id = strict.write_elsewhere("behind")

    detail = await strict.until("more than REPLICA_MAX_LAG_SECONDS")
    served = await strict.anonymous.get(f"/posts/{post_id}")
    metrics = (await strict.anonymous.get("/metrics")).text
    strict.pair.standby.resume_replay()
    back = await strict.until("on the read replica")

    assert detail.startswith("database reachable, schema at head; reads that may lag: on the")
    assert served.status_code == 200
    assert _gauge(metrics, "db_replica_serving") == 0
    assert _gauge(metrics, "db_replica_lag_seconds") > 0.5
    assert 'db_lagging_reads_total{reason="replica_unusable",served_by="primary"}' in metrics
    assert "at most" in back


async def test_a_stopped_replica_is_skipped_without_a_503(patient: ReplicaApp) -> None:
    account = await sign_up(patient.client, username="linus")
    post = await publish(patient.client, account, title="Still served")
    patient.pair.standby.stop()
    try:
        answers = [await patient.anonymous.get(f"/posts/{post['id']}") for _ in range(20)]
        detail = await patient.until("unreachable")
        metrics = (await patient.anonymous.get("/metrics")).text
    finally:
        patient.pair.standby.start()
    back = await patient.until("on the read replica")

    assert [answer.status_code for answer in answers] == [200] * 20
    assert "reads that may lag: on the primary: the read replica is unreachable" in detail
    assert _gauge(metrics, "db_replica_serving") == 0
    assert "at most" in back


async def test_metrics_report_the_replica(patient: ReplicaApp) -> None:
    await patient.anonymous.get("/users/")

    text = (await patient.anonymous.get("/metrics")).text

    assert _gauge(text, "db_replica_serving") == 1
    assert 0 <= _gauge(text, "db_replica_lag_seconds") <= 60
    assert _gauge(text, "db_replica_pool_size") >= 1
    assert 'db_lagging_reads_total{reason="replica",served_by="replica"}' in text


async def test_a_replica_url_that_names_no_standby_is_not_used(
    replication: StreamingPair, create_database: Callable[[], str]
) -> None:
    """A misconfiguration (DATABASE_REPLICA_URL on another primary, or a promoted standby):
    its rows may be anything, so it serves nothing."""
    elsewhere = create_database()
    in_thread(migrator.upgrade, elsewhere)
    async with replica_app(replication, max_lag=60, replica_url=elsewhere) as app:
        account = await sign_up(app.client, username="kept")
        seen = await app.anonymous.get(f"/users/{account.id}")
        detail = await app.until("not a standby")

    assert seen.status_code == 200
    assert detail.endswith(
        "on the primary: the read replica is not a standby in recovery (promoted, or not streaming)"
    )
    assert app.routing.reads["replica"] == 0


async def test_the_container_probes_the_replica_at_the_settings_limit(
    replication: StreamingPair,
) -> None:
    settings = make_settings(
        repository="postgres",
        database_url=replication.primary_url,
        database_replica_url=replication.standby_url,
        replica_max_lag_seconds=2.5,
    )
    container = Container(settings=providers.Object(settings))
    routing: ReadRouting = container.read_routing()
    async with running(container):
        deadline = time.monotonic() + WAIT_SECONDS
        while not (verdict := await container.readiness().check()).detail.endswith("behind"):
            assert time.monotonic() < deadline, verdict.detail
            await asyncio.sleep(PROBE_INTERVAL)

    assert routing.monitor is not None
    assert routing.monitor.max_lag_seconds == 2.5
    assert "reads that may lag: on the read replica, at most" in verdict.detail
    assert container.read_your_writes() is not None


def _gauge(text: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", text, flags=re.MULTILINE)
    assert found is not None, f"no {name} in /metrics"
    return float(found[1])
