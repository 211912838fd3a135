"""The /users API, end to end on PostgreSQL."""

import asyncio
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.support.problems import assert_problem


def registration(n: int = 0, **overrides: Any) -> dict[str, Any]:
    return {
        "email": f"user{n}@example.com",
        "username": f"user{n}",
        "password": "pass-word-1",
    } | overrides


@pytest.mark.parametrize("path", ["/users/", "/users"])
async def test_register_answers_201_with_the_user_and_its_location(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.post(path, json=registration(email="Ada@Example.COM", username="ada"))

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "email",
        "username",
        "created_at",
        "updated_at",
        "role",
        "email_verified",
        "pending_email",
    }
    assert (body["email_verified"], body["pending_email"]) == (False, None)
    assert (body["email"], body["username"], body["role"]) == ("ada@example.com", "ada", "member")
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    assert response.headers["location"] == f"/users/{body['id']}"
    public = {key: body[key] for key in ("id", "username", "created_at")}
    assert (await client.get(response.headers["location"])).json() == public


async def test_the_password_and_its_hash_never_leave_the_service(client: httpx.AsyncClient) -> None:
    created = await client.post("/users/", json=registration(password="very-secret-1"))
    fetched = await client.get(f"/users/{created.json()['id']}")
    listed = await client.get("/users/")

    for response in (created, fetched, listed):
        assert "very-secret-1" not in response.text
        assert "password" not in response.text
        assert "argon2" not in response.text


@pytest.mark.parametrize(
    ("second", "detail"),
    [
        ({"email": "TAKEN@example.com"}, "Email already registered"),
        ({"username": "TaKeN"}, "Username already taken"),
    ],
)
async def test_duplicates_in_any_case_answer_409(
    client: httpx.AsyncClient, second: dict[str, str], detail: str
) -> None:
    first = await client.post(
        "/users/", json=registration(1, email="taken@example.com", username="taken")
    )
    assert first.status_code == 201

    response = await client.post("/users/", json=registration(2) | second)

    assert_problem(response, 409, detail)


@pytest.mark.parametrize(
    "field", [{"email": "same@example.com"}, {"username": "Same"}], ids=["email", "username"]
)
async def test_parallel_registrations_of_one_identity_give_one_201(
    client: httpx.AsyncClient, field: dict[str, str]
) -> None:
    def variant(n: int) -> dict[str, Any]:
        # The username race also varies the case, which must not help.
        varied = {k: v.swapcase() if n % 2 and k == "username" else v for k, v in field.items()}
        return registration(n) | varied

    responses = await asyncio.gather(*(client.post("/users/", json=variant(n)) for n in range(20)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 19
    listed = (await client.get("/users/")).json()
    assert len(listed) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (registration(email="not-an-email"), "email"),
        (registration(username="ab"), "username"),
        (registration(username="x" * 33), "username"),
        (registration(username="bad name"), "username"),
        (registration(password="short"), "password"),
        (registration(password="x" * 129), "password"),
        ({"email": "a@example.com", "username": "abc"}, "password"),
        (registration(id=7), "id"),
        (registration(is_admin=True), "is_admin"),
    ],
)
async def test_invalid_registrations_answer_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    response = await client.post("/users/", json=body)

    assert response.status_code == 422
    assert any(error["loc"][-1] == field for error in response.json()["errors"])
    assert (await client.get("/users/")).json() == []


async def test_get_user_answers_404_for_an_unknown_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/users/12345")

    assert_problem(response, 404, "User not found")


@pytest.mark.parametrize("user_id", ["abc", "1.5", str(2**63), "-1", "0", "9" * 40])
async def test_ids_that_are_not_positive_64_bit_integers_answer_422(
    client: httpx.AsyncClient, user_id: str
) -> None:
    response = await client.get(f"/users/{user_id}")

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["path", "user_id"]


async def test_the_largest_64_bit_id_is_a_plain_404(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"/users/{2**63 - 1}")).status_code == 404


async def test_list_users_orders_by_id_and_pages(client: httpx.AsyncClient) -> None:
    ids = [(await client.post("/users", json=registration(n))).json()["id"] for n in range(5)]

    assert [u["id"] for u in (await client.get("/users/")).json()] == ids
    assert [u["id"] for u in (await client.get("/users?skip=1&limit=2")).json()] == ids[1:3]
    assert (await client.get("/users/?skip=10")).json() == []


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "skip=-1", "limit=abc", f"skip={2**63}"])
async def test_list_parameters_out_of_range_answer_422(
    client: httpx.AsyncClient, query: str
) -> None:
    assert (await client.get(f"/users/?{query}")).status_code == 422


async def test_documentation_is_served(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()

    assert {"/users/", "/users/{user_id}"} <= set(schema["paths"])
    assert "/users" not in schema["paths"], "the slash-less alias stays out of the document"
    for page in ("/docs", "/redoc"):
        response = await client.get(page)
        assert response.status_code == 200
        assert "text/html" in response.headers["content-type"]


async def test_a_rejected_password_is_not_echoed_back(client: httpx.AsyncClient) -> None:
    response = await client.post("/users/", json=registration(password="Tiny!7"))

    assert response.status_code == 422
    assert "Tiny!7" not in response.text
