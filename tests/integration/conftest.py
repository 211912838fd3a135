"""HTTP through the real app, on the run's PostgreSQL."""

from collections.abc import AsyncIterator

import httpx
import pytest
from dependency_injector import providers
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.container import Container
from interfaces.http.app import create_app
from tests.conftest import make_settings


@pytest.fixture
async def client(pg_engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    container = Container(
        settings=providers.Object(make_settings(repository="sqlalchemy", database_url=database_url))
    )
    # One engine for the whole run: a fresh pool per test would only add connects.
    container.engine.override(providers.Object(pg_engine))
    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
