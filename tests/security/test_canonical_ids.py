"""An id has one spelling: `/users/1.0`, `/users/+1` or `/users/%201` are not user 1.

Lenient parsing lets one resource hide behind endless URLs (past caches, logs
and rules written for `/users/1`); every integer in a path or a query is read
the one way the API writes it.
"""

import httpx
import pytest

from tests.support.accounts import Account, publish, sign_up
from tests.support.problems import assert_problem


def _refused(response: httpx.Response, where: str) -> None:
    """A 422 problem naming a parameter in `where`.

    Not `assert_problem`: its `instance` check compares with the path as sent,
    and Starlette's `request.url` drops a tab from it (urlsplit does).
    """
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"][0] == where


ODD_SPELLINGS = [
    pytest.param("1.0", id="fraction"),
    pytest.param("+1", id="plus"),
    pytest.param("%2B1", id="encoded-plus"),
    pytest.param("%201", id="leading-space"),
    pytest.param("1%20", id="trailing-space"),
    pytest.param("%091", id="tab"),
    pytest.param("01", id="leading-zero"),
    pytest.param("1_000", id="underscore"),
    pytest.param("1e0", id="exponent"),
    pytest.param("%D9%A1", id="arabic-indic-one"),
    pytest.param("%EF%BC%91", id="fullwidth-one"),
]

QUERIES = ("/posts/?author_id={}", "/posts/?limit={}", "/users/?limit={}", "/users/?skip={}")


@pytest.fixture
async def author(client: httpx.AsyncClient) -> Account:
    """User 1, the author of post 1: what every odd spelling would reach if it were read as 1."""
    account = await sign_up(client)
    await publish(client, account)
    assert account.id == 1
    return account


@pytest.mark.parametrize("spelling", ODD_SPELLINGS)
async def test_an_id_in_a_path_spelled_other_than_in_decimal_digits_is_422(
    client: httpx.AsyncClient, author: Account, spelling: str
) -> None:
    for path in ("/users/{}", "/posts/{}", "/users/{}/posts"):
        assert (await client.get(path.format(1))).status_code == 200
        _refused(await client.get(path.format(spelling)), "path")


@pytest.mark.parametrize("spelling", ODD_SPELLINGS)
@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
async def test_a_write_to_an_id_spelled_oddly_is_422_and_changes_nothing(
    client: httpx.AsyncClient, author: Account, method: str, spelling: str
) -> None:
    body = {"title": "Changed"} if method == "PATCH" else None

    response = await client.request(method, f"/posts/{spelling}", json=body, headers=author.headers)

    _refused(response, "path")
    assert (await client.get("/posts/1")).json()["title"] == "A title"


@pytest.mark.parametrize("spelling", ODD_SPELLINGS)
async def test_an_integer_in_a_query_spelled_oddly_is_422(
    client: httpx.AsyncClient, author: Account, spelling: str
) -> None:
    for query in QUERIES:
        assert (await client.get(query.format(1))).status_code == 200
        _refused(await client.get(query.format(spelling)), "query")


async def test_skip_of_zero_is_still_zero(client: httpx.AsyncClient, author: Account) -> None:
    assert (await client.get("/users/?skip=0")).status_code == 200
    assert_problem(await client.get("/users/?skip=00"), 422)
