"""HTTP through the real app: on the run's PostgreSQL, and on the in-memory adapter."""

from collections.abc import AsyncIterator

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
async def pg_client(pg_engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app on PostgreSQL, for tests that also look into the database."""
    container = Container(
        settings=providers.Object(make_settings(repository="sqlalchemy", database_url=database_url))
    )
    # One engine for the whole run: a fresh pool per test would only add connects.
    container.engine.override(providers.Object(pg_engine))
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
