"""interfaces.testing: the API on the in-memory adapter, as another project's tests use it.

The same helper is used from a separate virtualenv, with the package installed
from its wheel, in test_install.py.
"""

from typing import Any

import httpx
import pytest

from interfaces.testing import InMemoryStore, in_memory_app

ADA: dict[str, Any] = {
    "email": "Ada@Example.com",
    "username": "ada",
    "password": "correct horse battery",
}


def _client(store: InMemoryStore | None = None, **settings: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=in_memory_app(store, **settings))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_what_the_app_commits_is_in_the_store_it_was_given() -> None:
    store = InMemoryStore()
    async with _client(store) as client:
        response = await client.post("/users/", json=ADA)
    assert response.status_code == 201
    assert [user.email for user in store.users.values()] == ["ada@example.com"]


async def test_two_apps_on_one_store_share_their_data() -> None:
    store = InMemoryStore()
    async with _client(store) as first:
        created = (await first.post("/users/", json=ADA)).json()
    async with _client(store) as second:
        token = await second.post(
            "/auth/token", data={"username": "ada", "password": ADA["password"]}
        )
        found = await second.get(f"/users/{created['id']}")
    assert token.status_code == 200
    assert found.json()["username"] == "ada"


async def test_each_app_without_a_store_starts_empty() -> None:
    async with _client() as first:
        assert (await first.post("/users/", json=ADA)).status_code == 201
    async with _client() as second:
        assert (await second.post("/users/", json=ADA)).status_code == 201


async def test_the_environment_and_dotenv_are_not_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("MAX_SKIP=not-a-number\n")
    monkeypatch.setenv("REPOSITORY", "postgres")
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("RATE_LIMIT_REGISTRATIONS", "1/hour")
    async with _client() as client:
        statuses = [
            (
                await client.post(
                    "/users/", json={**ADA, "username": name, "email": f"{name}@x.io"}
                )
            ).status_code
            for name in ("ada", "bob")
        ]
    assert statuses == [201, 201]


async def test_settings_are_given_by_name() -> None:
    async with _client(rate_limit_registrations="1/hour") as client:
        first = await client.post("/users/", json=ADA)
        second = await client.post("/users/", json={**ADA, "username": "bob", "email": "b@x.io"})
    assert (first.status_code, second.status_code) == (201, 429)


def test_it_serves_from_memory_only() -> None:
    with pytest.raises(ValueError, match="in-memory adapter only"):
        in_memory_app(repository="postgres")
