"""Fixtures shared by every layer of tests.

PostgreSQL comes from TEST_DATABASE_URL when it is set, else from an embedded
server started for the run. Either way the run gets a fresh database of its
own, migrated with Alembic, and every test that uses it starts from empty
tables (truncated after each test: the HTTP tests need real commits on
several connections, which a rolled-back outer transaction cannot give).

With TEST_VIA_PGBOUNCER=1 the app under test reaches that database through a
PgBouncer in transaction pooling mode started for the run, as it would in
production; migrations, fixtures and checks still connect directly.
"""

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

import httpx
import psycopg
import pytest
from dependency_injector import providers
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import make_url

from application.ports import PasswordHasher, PasswordStrength
from application.unit_of_work import UnitOfWork
from infrastructure.container import Container
from infrastructure.memory import InMemoryStore, InMemoryUnitOfWork
from infrastructure.persistence import migrator
from infrastructure.persistence.database import Databases, build_databases
from infrastructure.persistence.embedded import embedded_postgres
from infrastructure.persistence.statements import Connection
from infrastructure.persistence.tables import metadata
from infrastructure.persistence.unit_of_work import PostgresUnitOfWork
from infrastructure.security.passwords import Argon2PasswordHasher
from infrastructure.security.strength import ZxcvbnPasswordStrength
from infrastructure.settings import Settings, to_sqlalchemy_url
from interfaces.http.app import create_app
from tests.support.pgbouncer import (
    PgBouncer,
    PgBouncerUnavailableError,
    find_pgbouncer,
    running_pgbouncer,
)

VIA_PGBOUNCER: Final = os.environ.get("TEST_VIA_PGBOUNCER", "") not in {"", "0", "false"}

CHEAP_HASHING: dict[str, Any] = {
    "password_hash_time_cost": 1,
    "password_hash_memory_cost": 1024,
    "password_hash_parallelism": 1,
    # Cheap hashes wait little behind one another; the bound's own tests lower it.
    "password_hash_queue": 100,
}

GENEROUS_RATE_LIMITS: dict[str, Any] = {
    "rate_limit_login_failures": "100000/minute",
    "rate_limit_login_attempts": "100000/minute",
    "rate_limit_registrations": "100000/minute",
    "rate_limit_credential_changes": "100000/minute",
    "rate_limit_reset_requests": "100000/minute",
    "rate_limit_reset_mails": "100000/minute",
    "rate_limit_verification_mails": "100000/minute",
}
"""Tests sign up and log in far more often than any person; the limits' own tests lower them."""


def make_settings(**overrides: Any) -> Settings:
    """Settings for tests: no `.env`, cheap (but real) argon2id, generous rate limits,
    in memory unless told."""
    values: dict[str, Any] = {
        "environment": "test",
        "repository": "memory",
        "database_url": None,
        **CHEAP_HASHING,
        **GENEROUS_RATE_LIMITS,
        **overrides,
    }
    return Settings(_env_file=None, **values)


def libpq_url(url: str) -> str:
    """The URL without SQLAlchemy's driver name, for psycopg and psql."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def in_thread(function: Callable[..., None], *args: Any) -> None:
    """Run blocking code (Alembic runs its own event loop) off pytest-asyncio's loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(function, *args).result()


def execute_autocommit(server_url: str, statement: str) -> None:
    with psycopg.connect(libpq_url(server_url), autocommit=True) as connection:
        connection.execute(statement.encode())


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """The maintenance URL of the PostgreSQL server the tests use."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield to_sqlalchemy_url(configured)
        return
    data_dir = tempfile.mkdtemp(prefix="users-posts-test-pg-")
    try:
        with embedded_postgres(Path(data_dir), durable=False) as server:
            yield server.url
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def create_database(postgres_server_url: str) -> Iterator[Callable[[], str]]:
    """A factory of fresh, empty databases on the test server, dropped at the end of the run."""
    created: list[str] = []

    def create() -> str:
        name = f"test_{uuid.uuid4().hex[:16]}"
        execute_autocommit(postgres_server_url, f'CREATE DATABASE "{name}"')
        created.append(name)
        return (
            make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
        )

    yield create
    for name in created:
        execute_autocommit(postgres_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(create_database: Callable[[], str]) -> str:
    """The run's database, migrated to head."""
    url = create_database()
    in_thread(migrator.upgrade, url)
    return url


async def opened_databases(**settings: Any) -> Databases:
    """The pools `settings` describe, opened and filled: a test's first statement waits for none."""
    databases = build_databases(make_settings(repository="postgres", **settings))
    await databases.open()
    await databases.primary.pool.wait()
    return databases


async def column(pool: AsyncConnectionPool[Connection], sql: str) -> list[Any]:
    """The first column of every row of `sql`, run on a connection of `pool`."""
    async with pool.connection() as connection:
        cursor = await connection.execute(sql.encode())
        return [row[0] for row in await cursor.fetchall()]


async def execute(pool: AsyncConnectionPool[Connection], sql: str) -> None:
    """Run `sql` on its own (the pool's connections rest in autocommit)."""
    async with pool.connection() as connection:
        await connection.execute(sql.encode())


@pytest.fixture(scope="session")
async def session_databases(database_url: str) -> AsyncIterator[Databases]:
    databases = await opened_databases(database_url=database_url)
    yield databases
    await databases.close()


@pytest.fixture(scope="session")
def pgbouncer(postgres_server_url: str) -> Iterator[PgBouncer]:
    """A PgBouncer in transaction pooling mode in front of the test server, for the run."""
    try:
        binary = find_pgbouncer()
    except PgBouncerUnavailableError as error:
        if VIA_PGBOUNCER:
            raise
        pytest.skip(str(error))
    with running_pgbouncer(binary, postgres_server_url) as bouncer:
        yield bouncer


@pytest.fixture(scope="session")
async def app_databases(
    session_databases: Databases, database_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[Databases]:
    """The pools the app under test uses: the run's database, directly or through PgBouncer.

    Behind PgBouncer's transaction pooling psycopg must not prepare statements
    (PgBouncer 1.18, Debian 12's, cannot carry them between server connections).
    """
    if not VIA_PGBOUNCER:
        yield session_databases
        return
    bouncer: PgBouncer = request.getfixturevalue("pgbouncer")
    logins = bouncer.logins(database_url)
    databases = await opened_databases(
        database_url=bouncer.url_for(database_url), db_prepared_statements=False
    )
    yield databases
    await databases.close()
    assert bouncer.logins(database_url) > logins, "the app under test went through PgBouncer"


@pytest.fixture
async def pg_databases(session_databases: Databases) -> AsyncIterator[Databases]:
    """The pools on the run's database, emptied after the test."""
    yield session_databases
    tables = ", ".join(table.name for table in metadata.sorted_tables)
    async with session_databases.primary.pool.connection() as connection:
        await connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE".encode())


@pytest.fixture
async def pg_connection(pg_databases: Databases) -> AsyncIterator[Connection]:
    """A connection of the test's own (in autocommit) on the run's database, emptied after."""
    async with pg_databases.primary.pool.connection() as connection:
        yield connection


@pytest.fixture(
    params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def uow_factory(request: pytest.FixtureRequest) -> Callable[[], UnitOfWork]:
    """Units of work sharing one store: the in-memory adapter, then PostgreSQL."""
    if request.param == "memory":
        store = InMemoryStore()
        return lambda: InMemoryUnitOfWork(store)
    databases: Databases = request.getfixturevalue("pg_databases")
    return lambda: PostgresUnitOfWork(databases)


@pytest.fixture(scope="session")
def password_hasher() -> PasswordHasher:
    settings = make_settings()
    return Argon2PasswordHasher(
        time_cost=settings.password_hash_time_cost,
        memory_cost=settings.password_hash_memory_cost,
        parallelism=settings.password_hash_parallelism,
    )


PASSWORD_STRENGTH: Final = ZxcvbnPasswordStrength(min_score=make_settings().password_min_strength)
"""The strength rule as the service applies it, on: tests use passwords that pass it."""


@pytest.fixture(scope="session")
def password_strength() -> PasswordStrength:
    return PASSWORD_STRENGTH


# HTTP through the real app, on the run's PostgreSQL and on the in-memory adapter; shared by
# tests/integration and tests/security.


def _client(container: Container) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(container))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def pg_client(
    pg_databases: Databases, app_databases: Databases, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app on PostgreSQL (through PgBouncer with TEST_VIA_PGBOUNCER=1),
    for tests that also look into the database."""
    container = Container(
        settings=providers.Object(make_settings(repository="postgres", database_url=database_url))
    )
    # Pools opened once for the whole run: fresh ones per test would only add connects.
    # pg_databases (direct) empties the tables after the test.
    container.databases.override(providers.Object(app_databases))
    async with _client(container) as client:
        yield client


@pytest.fixture
async def memory_client() -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app on the in-memory adapter, with a store of its own."""
    async with _client(Container(settings=providers.Object(make_settings()))) as client:
        yield client


@pytest.fixture(params=[pytest.param("pg_client", marks=pytest.mark.postgres), "memory_client"])
def client(request: pytest.FixtureRequest) -> httpx.AsyncClient:
    """A client of the app on each adapter in turn: the API must behave the same on both."""
    chosen: httpx.AsyncClient = request.getfixturevalue(request.param)
    return chosen
