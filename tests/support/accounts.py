"""Signing up and logging in through the API, for tests that need a caller."""

from dataclasses import dataclass
from itertools import count
from typing import Any

import httpx

_numbers = count(1)
PASSWORD = "pass-word-1"


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    email: str
    token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


async def login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post("/auth/token", data={"username": username, "password": password})


async def sign_up(client: httpx.AsyncClient, **fields: Any) -> Account:
    """Register a user and log in as them."""
    n = next(_numbers)
    body = {"email": f"member{n}@example.com", "username": f"member{n}", "password": PASSWORD}
    body |= fields
    created = await client.post("/users/", json=body)
    assert created.status_code == 201, created.text
    token = await login(client, body["username"], body["password"])
    assert token.status_code == 200, token.text
    user = created.json()
    return Account(
        id=user["id"],
        username=user["username"],
        email=user["email"],
        token=token.json()["access_token"],
        refresh_token=token.json()["refresh_token"],
    )


async def refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    """POST /auth/refresh as RFC 6749 section 6 has it."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return await client.post("/auth/refresh", data=form)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def publish(client: httpx.AsyncClient, author: Account, **fields: Any) -> dict[str, Any]:
    body = {"title": "A title", "content": "Some content."} | fields
    response = await client.post("/posts/", json=body, headers=author.headers)
    assert response.status_code == 201, response.text
    post: dict[str, Any] = response.json()
    return post
