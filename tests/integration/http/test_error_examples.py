"""Each error status of each operation has an example of its own in the OpenAPI document,
and the examples are what the app answers."""

from typing import Any

import httpx
import pytest

from interfaces.http.middleware import MAX_BODY_BYTES
from tests.support.accounts import PASSWORD, sign_up

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def document(memory_client: httpx.AsyncClient) -> dict[str, Any]:
    schema: dict[str, Any] = (await memory_client.get("/openapi.json")).json()
    return schema


def _examples(document: dict[str, Any]) -> dict[tuple[str, str], dict[int, dict[str, Any]]]:
    """(method, path) -> {status: example} for every error response."""
    return {
        (method.upper(), path): {
            int(status): response["content"]["application/problem+json"]["example"]
            for status, response in operation["responses"].items()
            if int(status) >= 400
        }
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }


def test_every_error_of_every_operation_has_an_example_of_its_own_status(
    document: dict[str, Any],
) -> None:
    for operation, examples in _examples(document).items():
        assert examples, operation
        for status, example in examples.items():
            assert example["status"] == status, (operation, status)
        causes = [(example["type"], example["detail"]) for example in examples.values()]
        assert len(set(causes)) == len(causes), operation


def test_no_error_schema_carries_an_example_that_would_stand_for_every_status(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    assert "examples" not in schemas["Problem"]
    assert "examples" not in schemas["ValidationProblem"]


def test_the_examples_name_the_resource_of_their_operation(document: dict[str, Any]) -> None:
    examples = _examples(document)

    assert examples["GET", "/posts/{post_id}"][404]["detail"] == "Post not found"
    assert examples["GET", "/posts/{post_id}"][404]["instance"] == "/posts/42"
    assert examples["GET", "/users/{user_id}/posts"][404]["detail"] == "User not found"
    assert examples["PATCH", "/posts/{post_id}"][403]["detail"] == "Not the author of this post"
    assert examples["POST", "/auth/token"][401]["detail"] == "Incorrect username or password"


def _same_problem(example: dict[str, Any], answer: httpx.Response) -> None:
    body = answer.json()
    assert answer.status_code == example["status"], answer.text
    fields = ["type", "title", "status", "detail", "errors"]
    assert {key: body.get(key) for key in fields} == {key: example.get(key) for key in fields}


async def test_the_examples_are_what_the_app_answers(
    document: dict[str, Any], memory_client: httpx.AsyncClient
) -> None:
    examples = _examples(document)
    client = memory_client
    await sign_up(client, email="taken@example.com", username="taken")
    taken = {"email": "taken@example.com", "username": "other", "password": PASSWORD}
    answers = {
        ("GET", "/users/{user_id}", 404): client.get("/users/42"),
        ("GET", "/users/{user_id}", 400): client.get("/users/42", headers={"If-None-Match": "x"}),
        ("GET", "/users/{user_id}", 422): client.get("/users/042"),
        ("GET", "/posts/{post_id}", 404): client.get("/posts/42"),
        ("GET", "/users/{user_id}/posts", 404): client.get("/users/42/posts"),
        ("GET", "/users/", 422): client.get("/users/?limit=101"),
        ("GET", "/health/live", 422): client.get("/health/live?verbose=1&verbose=2"),
        ("DELETE", "/users/{user_id}", 401): client.delete("/users/42"),
        ("POST", "/auth/token", 401): client.post(
            "/auth/token", data={"username": "nobody", "password": PASSWORD}
        ),
        ("POST", "/auth/token", 415): client.post("/auth/token", json={"username": "taken"}),
        ("POST", "/auth/token", 422): client.post(
            "/auth/token", data={"password": PASSWORD}, headers=FORM
        ),
        ("POST", "/users/", 409): client.post("/users/", json=taken),
        ("POST", "/users/", 413): client.post(
            "/users/", content=b" " * (MAX_BODY_BYTES + 1), headers=JSON
        ),
        ("POST", "/users/", 415): client.post("/users/", content="{}"),
        ("POST", "/users/", 422): client.post("/users/", content="", headers=JSON),
    }
    for (method, path, status), request in answers.items():
        _same_problem(examples[method, path][status], await request)
