"""HTTP through the real app; the `client` fixtures themselves are in tests/conftest.py."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from dependency_injector import providers

from infrastructure.container import Container
from interfaces.http.app import create_app
from tests.conftest import make_settings


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
