"""The whole HTTP API on the in-memory adapter, for the tests of another project.

A project that talks to this service can run its own tests against the real
app (routes, validation, errors, ETags, idempotency, rate limits) with no
database and no server process: install the package and build the app here.
Nothing of the dependency-injection container shows::

    import httpx
    from interfaces.testing import InMemoryStore, in_memory_app

    async def test_signing_up() -> None:
        store = InMemoryStore()
        transport = httpx.ASGITransport(app=in_memory_app(store))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post(
                "/users/",
                json={"email": "ada@example.com", "username": "ada", "password": "correct horse"},
            )
        assert response.status_code == 201
        assert [user.username for user in store.users.values()] == ["ada"]

The store holds what the app committed; two apps given one store share their
data, as two processes share a database.
"""

from typing import Any, Final

from fastapi import FastAPI
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from infrastructure.container import InMemoryStore, build_container
from infrastructure.settings import Settings
from interfaces.http.app import create_app

__all__ = ["TEST_SETTINGS", "InMemoryStore", "in_memory_app"]

TEST_SETTINGS: Final[dict[str, Any]] = {
    "environment": "test",
    "repository": "memory",
    # Real argon2id, at the lowest cost it takes: a test's hash only has to be real.
    "password_hash_time_cost": 1,
    "password_hash_memory_cost": 1024,
    "password_hash_parallelism": 1,
}
"""What `in_memory_app` changes from the service's defaults. Everything else, the rate
limits and the password-strength rule included, is as the service ships it."""


class _ArgumentsOnly(Settings):
    """Settings from the arguments alone: a test run behaves the same on every machine,
    whatever its environment variables or `.env` say (DATABASE_URL, JWT_SECRET...)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def in_memory_app(store: InMemoryStore | None = None, **settings: Any) -> FastAPI:
    """The service's FastAPI app on the in-memory adapter, with a store of its own or `store`.

    `settings` are the service's settings by their field names in lower case
    (`max_skip=100`, `rate_limit_registrations="2/hour"`, `password_min_strength=0`),
    over `TEST_SETTINGS`. The environment and `.env` are not read. The app serves
    from memory only: REPOSITORY cannot be changed here.
    """
    if settings.get("repository", "memory") != "memory":
        raise ValueError("in_memory_app serves the in-memory adapter only; leave out repository")
    values = {**TEST_SETTINGS, **settings}
    container = build_container(_ArgumentsOnly(**values), memory_store=store)
    return create_app(container)
