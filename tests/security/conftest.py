"""The app of a security test, built with settings of its own on each adapter in turn."""

from collections.abc import AsyncIterator

import pytest

from tests.support.apps import ADAPTERS, Adapter, Build, adapter_of, app_builder
from tests.support.smtp import smtp_server

__all__ = ["smtp_server"]


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> Adapter:
    """PostgreSQL, then the in-memory adapter."""
    return adapter_of(request)


@pytest.fixture
async def build(adapter: Adapter) -> AsyncIterator[Build]:
    """`build(**settings)`: the real app with those settings on `adapter`, and its client."""
    async with app_builder(adapter) as build:
        yield build
