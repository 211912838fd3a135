"""Signed input of a shape we never issue: properly signed, so only its content can refuse it.

A forger who holds no key cannot make these; the tests hold the key (the test
settings' secret), to show that even a validly signed oddity is a 4xx, not a 500.
"""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from interfaces.http.pagination import CursorCodec, _b64encode
from tests.conftest import make_settings
from tests.support.accounts import publish, sign_up
from tests.support.problems import assert_problem

SECRET = make_settings().jwt_secret.get_secret_value()


def _token(subject: object) -> str:
    now = datetime.now(UTC)
    claims = {"sub": subject, "iat": now, "exp": now + timedelta(minutes=5)}
    return jwt.encode(claims, SECRET, algorithm=make_settings().jwt_algorithm)


@pytest.mark.parametrize(
    "subject",
    [
        pytest.param("1" * 5000, id="thousands-of-digits"),
        pytest.param("9" * 20, id="past-a-bigint"),
        pytest.param("0" * 4000 + "1", id="leading-zeros"),
        pytest.param("٣", id="arabic-indic-digit"),
        pytest.param(" 1", id="space"),
    ],
)
async def test_a_signed_token_whose_subject_has_thousands_of_digits_is_401(
    client: httpx.AsyncClient, subject: str
) -> None:
    await sign_up(client)

    response = await client.get("/users/me", headers={"Authorization": f"Bearer {_token(subject)}"})

    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


def _signed_cursor(content: Any) -> str:
    """A cursor signed as the app signs its own, around any JSON at all."""
    codec = CursorCodec(SECRET)
    payload = _b64encode(json.dumps(content, separators=(",", ":")).encode())
    return f"{payload}.{codec._sign(payload)}"


ODD_PAYLOADS = [
    pytest.param([], id="list"),
    pytest.param(["users", "after", [1]], id="list-of-the-fields"),
    pytest.param(7, id="number"),
    pytest.param(None, id="null"),
    pytest.param("users", id="string"),
    pytest.param(True, id="boolean"),
    pytest.param({"l": ["users"], "d": "after", "k": [1]}, id="listing-a-list"),
    pytest.param({"l": "users", "d": ["after"], "k": [1]}, id="direction-a-list"),
    pytest.param({"l": "users", "d": {"x": 1}, "k": [1]}, id="direction-an-object"),
    pytest.param({"l": "users", "d": "after", "k": {"id": 1}}, id="key-an-object"),
    pytest.param({"l": "users", "d": "after", "k": [[[[1]]]]}, id="key-nested"),
    pytest.param({"l": "users", "d": "after", "k": [{"id": 1}]}, id="key-of-an-object"),
    pytest.param({"l": "users", "d": "after", "k": [1e308]}, id="key-a-float"),
    pytest.param({"l": "users", "d": "after", "k": [10**30]}, id="key-past-a-bigint"),
    pytest.param({"l": "users", "d": "after", "k": [1, 2]}, id="key-too-long"),
    pytest.param({"l": "users", "d": "after", "k": []}, id="key-empty"),
]


@pytest.mark.parametrize("content", ODD_PAYLOADS)
async def test_a_signed_cursor_of_another_shape_is_422_never_500(
    client: httpx.AsyncClient, content: Any
) -> None:
    response = await client.get("/users/", params={"cursor": _signed_cursor(content)})

    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["query", "cursor"]


@pytest.mark.parametrize(
    "key",
    [
        pytest.param([["2026-01-01T00:00:00+00:00"], 1], id="time-a-list"),
        pytest.param(["2026-01-01T00:00:00+00:00", [1]], id="id-a-list"),
        pytest.param([{"t": 1}, {"i": 1}], id="objects"),
        pytest.param(["not a time", 1], id="time-not-a-time"),
        pytest.param(["2026-01-01T00:00:00", 1], id="time-without-zone"),
        pytest.param(["2026-01-01T00:00:00+00:00", True], id="id-a-boolean"),
        pytest.param([None, None], id="nulls"),
    ],
)
async def test_a_signed_post_cursor_with_an_odd_key_is_422_never_500(
    client: httpx.AsyncClient, key: Any
) -> None:
    author = await sign_up(client)
    await publish(client, author)
    cursor = _signed_cursor({"l": "posts?author_id=", "d": "before", "k": key})

    response = await client.get("/posts/", params={"cursor": cursor})

    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["query", "cursor"]
