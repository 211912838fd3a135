"""The real app built with settings of a test's own, on either adapter, with its container at hand.

The security tests of passwords need both: low bounds of their own, and the
container's executors, whose counters say how much hashing a request cost.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from dependency_injector import providers

from infrastructure.container import Container
from infrastructure.persistence.database import Databases
from interfaces.http.app import create_app
from tests.conftest import make_settings

ADAPTERS = [pytest.param("sqlalchemy", marks=pytest.mark.postgres), "memory"]


@dataclass(frozen=True)
class App:
    client: httpx.AsyncClient
    container: Container


Build = Callable[..., App]


Adapter = tuple[dict[str, Any], Databases | None]


def adapter_of(request: pytest.FixtureRequest) -> Adapter:
    """The settings and pools of the adapter `request.param` names; for a sync fixture, as
    pytest-asyncio cannot set up the pools' async fixtures from inside an async one."""
    if request.param == "memory":
        return {}, None
    database_url: str = request.getfixturevalue("database_url")
    databases: Databases = request.getfixturevalue("pg_databases")
    return {"repository": "postgres", "database_url": database_url}, databases


@asynccontextmanager
async def app_builder(adapter: Adapter) -> AsyncIterator[Build]:
    """`build(**settings)` gives an app on `adapter`, and its client."""
    base, databases = adapter
    async with AsyncExitStack() as stack:

        def build(**overrides: Any) -> App:
            container = Container(settings=providers.Object(make_settings(**base, **overrides)))
            if databases is not None:
                container.databases.override(providers.Object(databases))
            transport = httpx.ASGITransport(app=create_app(container))
            client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
            stack.push_async_callback(client.aclose)
            return App(client, container)

        yield build
