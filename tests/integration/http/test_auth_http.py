"""POST /auth/token and bearer tokens over HTTP, on both adapters."""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from infrastructure.settings import DEVELOPMENT_JWT_SECRET
from tests.support.accounts import PASSWORD, login, sign_up
from tests.support.problems import assert_problem

# httpx sends no Content-Type for an empty form.
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def test_a_token_for_username_or_email(client: httpx.AsyncClient) -> None:
    account = await sign_up(client, email="Ada@Example.com", username="Ada")

    for name in ("Ada", "ada", "ada@example.com", "ADA@EXAMPLE.COM"):
        response = await login(client, name)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {
            "access_token",
            "token_type",
            "expires_in",
            "refresh_token",
            "refresh_expires_in",
        }
        assert (body["token_type"], body["expires_in"]) == ("bearer", 900)
        assert 30 * 86400 - 5 <= body["refresh_expires_in"] <= 30 * 86400
        claims = jwt.decode(body["access_token"], options={"verify_signature": False})
        assert claims["sub"] == str(account.id)
        assert claims["exp"] - claims["iat"] == 900
        assert jwt.get_unverified_header(body["access_token"])["typ"] == "at+jwt"
        assert response.headers["cache-control"] == "no-store"


async def test_users_me_is_the_caller(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)

    response = await client.get("/users/me", headers=account.headers)

    assert response.status_code == 200
    assert response.json()["id"] == account.id


@pytest.mark.parametrize(("name", "password"), [("member-x", "wrong-pass"), ("nobody", PASSWORD)])
async def test_wrong_password_and_unknown_user_get_the_same_401(
    client: httpx.AsyncClient, name: str, password: str
) -> None:
    await sign_up(client, username="member-x")

    response = await login(client, name, password)

    assert_problem(response, 401, "Incorrect username or password")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "data",
    [{"username": "someone"}, {"password": PASSWORD}, {}],
    ids=["no-password", "no-username", "empty"],
)
async def test_an_incomplete_form_is_422(client: httpx.AsyncClient, data: dict[str, str]) -> None:
    response = await client.post("/auth/token", data=data, headers=FORM)
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        ('{"username": "member-x", "password": "pass-word-1"}', "application/json"),
        ("username=member-x&password=pass-word-1", "text/plain"),
        ("username=member-x&password=pass-word-1", None),
    ],
    ids=["json", "text", "undeclared"],
)
async def test_a_body_that_is_not_a_form_is_a_415_saying_what_to_send(
    client: httpx.AsyncClient, content: str, content_type: str | None
) -> None:
    await sign_up(client, username="member-x")
    headers = {} if content_type is None else {"Content-Type": content_type}

    response = await client.post("/auth/token", content=content, headers=headers)

    assert_problem(
        response,
        415,
        "POST /auth/token takes a form, sent as application/x-www-form-urlencoded, "
        "with the fields username and password (OAuth2's password flow), not JSON",
    )


async def test_a_form_with_the_oauth2_extras_logs_in(client: httpx.AsyncClient) -> None:
    await sign_up(client, username="member-x")
    form = {
        "grant_type": "password",
        "username": "member-x",
        "password": PASSWORD,
        "scope": "",
        "client_id": "swagger",
        "client_secret": "",
    }

    assert (await client.post("/auth/token", data=form)).status_code == 200


async def test_a_multipart_form_logs_in(client: httpx.AsyncClient) -> None:
    await sign_up(client, username="member-x")
    fields = {"username": (None, "member-x"), "password": (None, PASSWORD)}

    assert (await client.post("/auth/token", files=fields)).status_code == 200


async def test_another_grant_type_is_422(client: httpx.AsyncClient) -> None:
    await sign_up(client, username="member-x")
    form = {"grant_type": "client_credentials", "username": "member-x", "password": PASSWORD}

    response = await client.post("/auth/token", data=form)

    body = assert_problem(response, 422)
    assert [error["loc"] for error in body["errors"]] == [["body", "grant_type"]]


async def test_an_incomplete_form_names_each_missing_field_once(
    client: httpx.AsyncClient,
) -> None:
    body = assert_problem(await client.post("/auth/token", data={}, headers=FORM), 422)

    assert [error["loc"] for error in body["errors"]] == [
        ["body", "username"],
        ["body", "password"],
    ]


async def test_no_token_is_401_with_the_bearer_challenge(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Basic YTpi"}, {"Authorization": "Bearer"}):
        response = await client.get("/users/me", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"


def _signed(
    claims: dict[str, object], key: str = DEVELOPMENT_JWT_SECRET, alg: str = "HS256"
) -> str:
    return jwt.encode(claims, key, algorithm=alg)


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda uid: "garbage", id="malformed"),
        pytest.param(lambda uid: "a.b.c", id="malformed-parts"),
        pytest.param(
            lambda uid: _signed(
                {
                    "sub": str(uid),
                    "iat": datetime.now(UTC) - timedelta(hours=2),
                    "exp": datetime.now(UTC) - timedelta(hours=1),
                }
            ),
            id="expired",
        ),
        pytest.param(
            lambda uid: jwt.encode(
                {
                    "sub": str(uid),
                    "iat": datetime.now(UTC),
                    "exp": datetime.now(UTC) + timedelta(1),
                },
                None,
                algorithm="none",
            ),
            id="alg-none",
        ),
        pytest.param(
            lambda uid: _signed(
                {
                    "sub": str(uid),
                    "iat": datetime.now(UTC),
                    "exp": datetime.now(UTC) + timedelta(1),
                },
                key="another-key" * 8,
            ),
            id="other-key",
        ),
        pytest.param(
            lambda uid: _signed(
                {
                    "sub": "99999999999999999999",
                    "iat": datetime.now(UTC),
                    "exp": datetime.now(UTC) + timedelta(1),
                }
            ),
            id="sub-beyond-64-bits",
        ),
    ],
)
async def test_bad_tokens_are_401_never_500(
    client: httpx.AsyncClient, make_token: Callable[[int], str]
) -> None:
    account = await sign_up(client)

    response = await client.get(
        "/users/me", headers={"Authorization": f"Bearer {make_token(account.id)}"}
    )

    assert_problem(response, 401, "Could not validate credentials")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_tampered_token_is_401(client: httpx.AsyncClient) -> None:
    victim, attacker = await sign_up(client), await sign_up(client)
    header, _, signature = attacker.token.split(".")
    claims = jwt.decode(attacker.token, options={"verify_signature": False})
    claims["sub"] = str(victim.id)
    forged_payload = jwt.utils.base64url_encode(
        json.dumps(claims, separators=(",", ":")).encode()
    ).decode()

    response = await client.get(
        "/users/me", headers={"Authorization": f"Bearer {header}.{forged_payload}.{signature}"}
    )

    assert response.status_code == 401


async def test_the_token_of_a_deleted_user_stops_working(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)
    assert (await client.delete(f"/users/{account.id}", headers=account.headers)).status_code == 204

    response = await client.get("/users/me", headers=account.headers)

    assert response.status_code == 401


async def test_swagger_ui_can_authorize_through_the_token_endpoint(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()

    schemes = schema["components"]["securitySchemes"]
    flow = schemes["OAuth2PasswordBearer"]["flows"]["password"]
    assert (flow["tokenUrl"], flow["refreshUrl"]) == ("/auth/token", "/auth/refresh")
    assert {"OAuth2PasswordBearer": []} in schema["paths"]["/posts/"]["post"]["security"]
    body = schema["paths"]["/auth/token"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in body
