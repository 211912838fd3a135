"""The OpenAPI document is complete enough to generate clients and drive fuzzers."""

from typing import Any

import httpx
import pytest

from tests.conftest import make_settings

EXPECTED_OPERATIONS = {
    "live",
    "ready",
    "create_token",
    "refresh_tokens",
    "logout",
    "verify_email",
    "request_password_reset",
    "confirm_password_reset",
    "send_verification_mail",
    "list_sessions",
    "revoke_session",
    "revoke_other_sessions",
    "list_accounts",
    "change_account",
    "list_audit_events",
    "create_user",
    "list_users",
    "get_current_user",
    "update_current_user",
    "delete_current_user",
    "get_user",
    "update_user",
    "delete_user",
    "create_post",
    "list_posts",
    "get_post",
    "update_post",
    "delete_post",
    "list_user_posts",
}
SECURED = {
    "list_accounts",
    "change_account",
    "list_audit_events",
    "logout",
    "list_sessions",
    "revoke_session",
    "revoke_other_sessions",
    "get_current_user",
    "update_current_user",
    "delete_current_user",
    "send_verification_mail",
    "update_user",
    "delete_user",
    "create_post",
    "update_post",
    "delete_post",
}


@pytest.fixture
async def document(memory_client: httpx.AsyncClient) -> dict[str, Any]:
    schema: dict[str, Any] = (await memory_client.get("/openapi.json")).json()
    return schema


def _operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        operation["operationId"]: operation
        for path in document["paths"].values()
        for operation in path.values()
    }


def test_every_operation_has_a_stable_id_summary_and_tags(document: dict[str, Any]) -> None:
    operations = _operations(document)

    assert set(operations) == EXPECTED_OPERATIONS
    for name, operation in operations.items():
        assert operation["summary"], name
        assert operation["tags"], name


def test_secured_operations_use_the_bearer_scheme(document: dict[str, Any]) -> None:
    for name, operation in _operations(document).items():
        secured = {"OAuth2PasswordBearer": []} in operation.get("security", [])
        assert secured == (name in SECURED), name
        if secured:
            assert "401" in operation["responses"], name


def test_every_error_response_is_a_problem(document: dict[str, Any]) -> None:
    for name, operation in _operations(document).items():
        errors = {s: r for s, r in operation["responses"].items() if int(s) >= 400}
        assert {"422", "500", "503"} <= set(errors), name
        for status, response in errors.items():
            assert list(response["content"]) == ["application/problem+json"], (name, status)
            schema = response["content"]["application/problem+json"]["schema"]["$ref"]
            expected = "ValidationProblem" if status == "422" else "Problem"
            assert schema == f"#/components/schemas/{expected}", (name, status)


def test_bodies_and_answers_carry_examples(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]

    for model in (
        "UserPublic",
        "UserPrivate",
        "PostRead",
        "TokenResponse",
        "SessionRead",
    ):
        assert schemas[model]["examples"], model
    for model, field in (("UserCreate", "email"), ("PostCreate", "title")):
        assert schemas[model]["properties"][field]["examples"], model


def _answer_schema(operation: dict[str, Any], status: str) -> str:
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    reference: str = schema.get("items", schema)["$ref"]
    return reference.rpartition("/")[2]


def test_strangers_get_the_public_view_and_the_account_its_private_one(
    document: dict[str, Any],
) -> None:
    operations = _operations(document)
    schemas = document["components"]["schemas"]

    public = {"list_users": "200", "get_user": "200"}
    private = {
        "create_user": "201",
        "get_current_user": "200",
        "update_current_user": "200",
        "update_user": "200",
    }
    for name, status in public.items():
        assert _answer_schema(operations[name], status) == "UserPublic", name
    for name, status in private.items():
        assert _answer_schema(operations[name], status) == "UserPrivate", name
    assert set(schemas["UserPublic"]["properties"]) == {"id", "username", "created_at"}
    assert set(schemas["AuthorPublic"]["properties"]) == {"id", "username"}
    assert {"email", "updated_at"} <= set(schemas["UserPrivate"]["properties"])
    assert "UserRead" not in schemas
    assert schemas["UserCreate"]["properties"]["email"]["format"] == "email"


def test_lists_document_their_link_header(document: dict[str, Any]) -> None:
    operations = _operations(document)

    for name in ("list_users", "list_posts", "list_user_posts"):
        assert "Link" in operations[name]["responses"]["200"]["headers"], name
        parameters = {p["name"] for p in operations[name]["parameters"]}
        assert {"skip", "limit", "cursor"} <= parameters, name


def test_rate_limited_operations_document_429_with_retry_after(document: dict[str, Any]) -> None:
    operations = _operations(document)

    limited = {name for name, operation in operations.items() if "429" in operation["responses"]}
    assert limited == {
        "create_token",
        "refresh_tokens",
        "create_user",
        "update_user",
        "update_current_user",
        "request_password_reset",
        "send_verification_mail",
    }
    for name in limited:
        headers = operations[name]["responses"]["429"]["headers"]
        assert headers["Retry-After"]["schema"]["type"] == "integer", name


def test_settings_are_not_in_the_document(document: dict[str, Any]) -> None:
    assert make_settings().jwt_secret.get_secret_value() not in str(document)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_docs_pages_keep_the_browser_on_this_origin(
    memory_client: httpx.AsyncClient, page: str
) -> None:
    response = await memory_client.get(page)

    assert response.status_code == 200
    assert response.headers["content-security-policy"].startswith("default-src 'self'")


CONDITIONAL_READS = {"get_user", "get_current_user", "get_post"}
CONDITIONAL_WRITES = {
    "update_user",
    "update_current_user",
    "delete_user",
    "delete_current_user",
    "update_post",
    "delete_post",
}


def test_conditional_requests_are_documented(document: dict[str, Any]) -> None:
    operations = _operations(document)

    for name, operation in operations.items():
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"} & {
            "If-Match",
            "If-None-Match",
        }
        expected = (
            {"If-Match", "If-None-Match"}
            if name in CONDITIONAL_READS
            else {"If-Match"}
            if name in CONDITIONAL_WRITES
            else set()
        )
        assert headers == expected, name
        if expected:
            assert {"400", "412"} <= set(operation["responses"]), name
    for name in CONDITIONAL_READS:
        responses = operations[name]["responses"]
        assert "ETag" in responses["200"]["headers"], name
        assert "ETag" in responses["304"]["headers"], name
        assert "content" not in responses["304"], name
    for name, status in [
        ("update_user", "200"),
        ("update_current_user", "200"),
        ("update_post", "200"),
        ("create_user", "201"),
        ("create_post", "201"),
    ]:
        assert "ETag" in operations[name]["responses"][status]["headers"], name


def test_creates_document_the_idempotency_key_and_its_answers(document: dict[str, Any]) -> None:
    operations = _operations(document)

    for name in ("create_user", "create_post"):
        operation = operations[name]
        (header,) = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
        assert header["in"] == "header", name
        assert not header["required"], name
        assert header["schema"]["pattern"] == "^[!-~]{1,255}$", name
        assert "422" in header["description"], name
        assert "409" in header["description"], name
        assert {"409", "422"} <= set(operation["responses"]), name
        assert {"Location", "Idempotent-Replayed"} <= set(operation["responses"]["201"]["headers"])


def test_the_login_form_needs_only_a_username_and_a_password(document: dict[str, Any]) -> None:
    body = document["paths"]["/auth/token"]["post"]["requestBody"]["content"]
    (schema_ref,) = [media["schema"]["$ref"] for media in body.values()]
    form = document["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]

    assert list(body) == ["application/x-www-form-urlencoded"]
    assert sorted(form["required"]) == ["password", "username"]
    assert set(form["properties"]) == {"username", "password", "grant_type"}
    assert "default" not in form["properties"]["grant_type"]


def test_the_authorize_dialog_says_what_to_leave_empty(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["OAuth2PasswordBearer"]

    assert scheme["flows"] == {
        "password": {"tokenUrl": "/auth/token", "refreshUrl": "/auth/refresh", "scopes": {}}
    }
    assert "Leave `client_id` and `client_secret` empty" in scheme["description"]
