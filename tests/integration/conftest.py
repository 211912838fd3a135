"""HTTP through the real app: on the run's PostgreSQL, and on the in-memory adapter."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.container import Container
from interfaces.http.app import create_app
from tests.conftest import make_settings


def _client(container: Container) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(container))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def pg_client(
    pg_engine: AsyncEngine, app_engine: AsyncEngine, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app on PostgreSQL (through PgBouncer with TEST_VIA_PGBOUNCER=1),
    for tests that also look into the database."""
    container = Container(
        settings=providers.Object(make_settings(repository="sqlalchemy", database_url=database_url))
    )
    # One engine for the whole run: a fresh pool per test would only add connects.
    # pg_engine (direct) empties the tables after the test.
    container.engine.override(providers.Object(app_engine))
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


class FailingUserService:
    """Stands in for the user service and fails the way a bug would."""

    async def get_user(self, user_id: int) -> Any:
        raise RuntimeError("SELECT secret_column FROM internals -- do not leak me")


@pytest.fixture
async def broken_client() -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose user service fails like a bug, answering instead of raising."""
    container = Container(settings=providers.Object(make_settings()))
    container.user_service.override(providers.Object(FailingUserService()))
    transport = httpx.ASGITransport(app=create_app(container), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
