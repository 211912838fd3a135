"""Roles and moderation over HTTP, on both adapters: the admin API, deactivation, removing
posts with a reason, and the audit trail each of them writes."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.support.accounts import PASSWORD, Account, bearer, login, publish, refresh, sign_up
from tests.support.admins import make_admin
from tests.support.apps import ADAPTERS, Adapter, App, adapter_of, app_builder
from tests.support.problems import assert_problem


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> Adapter:
    return adapter_of(request)


@pytest.fixture
async def app(adapter: Adapter) -> AsyncIterator[App]:
    async with app_builder(adapter) as build:
        yield build()


@pytest.fixture
async def admin(app: App) -> Account:
    return await make_admin(app.client, app.container)


async def _events(app: App, admin: Account, **filters: Any) -> list[dict[str, Any]]:
    response = await app.client.get("/admin/audit", params=filters, headers=admin.headers)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()
    return events


async def _patch(app: App, admin: Account, user_id: int, **body: Any) -> httpx.Response:
    return await app.client.patch(f"/admin/users/{user_id}", json=body, headers=admin.headers)


async def test_an_admin_lists_accounts_with_their_private_fields(app: App, admin: Account) -> None:
    member = await sign_up(app.client)

    response = await app.client.get("/admin/users", headers=admin.headers)

    assert response.status_code == 200
    listed = {user["id"]: user for user in response.json()}
    assert listed[member.id]["email"] == member.email
    assert (listed[member.id]["role"], listed[member.id]["active"]) == ("member", True)
    assert listed[admin.id]["role"] == "admin"
    assert "password_hash" not in response.text


async def test_a_member_gets_403_on_every_admin_route(app: App) -> None:
    member, other = await sign_up(app.client), await sign_up(app.client)

    for method, path, body in (
        ("GET", "/admin/users", None),
        ("GET", "/admin/audit", None),
        ("PATCH", f"/admin/users/{other.id}", {"role": "admin"}),
    ):
        response = await app.client.request(method, path, json=body, headers=member.headers)
        assert_problem(response, 403, "Only admins may do this")
    assert (await app.client.get("/users/me", headers=member.headers)).json()["role"] == "member"


async def test_the_list_filters_by_prefix_role_and_activity(app: App, admin: Account) -> None:
    ada = await sign_up(app.client, username="ada_x", email="ada@example.org")
    await sign_up(app.client, username="adaxy", email="other@example.org")
    await sign_up(app.client, username="bob", email="bob@example.org")
    await _patch(app, admin, ada.id, active=False)

    async def names(**filters: str) -> list[str]:
        response = await app.client.get("/admin/users", params=filters, headers=admin.headers)
        assert response.status_code == 200, response.text
        return [user["username"] for user in response.json()]

    assert await names(username="ADA_") == ["ada_x"], "no wildcard in a prefix"
    assert await names(username="ada") == ["ada_x", "adaxy"]
    assert await names(email="BOB@") == ["bob"]
    assert await names(role="admin") == [admin.username]
    assert await names(active="false") == ["ada_x"]
    response = await app.client.get("/admin/users?role=owner", headers=admin.headers)
    assert_problem(response, 422)


async def test_the_list_pages_with_cursors_bound_to_their_filters(app: App, admin: Account) -> None:
    for _ in range(3):
        await sign_up(app.client)

    first = await app.client.get("/admin/users?limit=2&role=member", headers=admin.headers)
    next_url = first.links["next"]["url"]
    second = await app.client.get(next_url, headers=admin.headers)
    tampered = await app.client.get(
        next_url.replace("role=member", "role=admin"), headers=admin.headers
    )

    assert [len(first.json()), len(second.json())] == [2, 1]
    assert {u["role"] for u in first.json() + second.json()} == {"member"}
    assert_problem(tampered, 422)


async def test_deactivating_signs_out_hides_posts_and_refuses_logins(
    app: App, admin: Account
) -> None:
    member = await sign_up(app.client)
    post = await publish(app.client, member)

    response = await _patch(app, admin, member.id, active=False)

    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    assert (await app.client.get("/users/me", headers=member.headers)).status_code == 401
    assert (await refresh(app.client, member.refresh_token)).status_code == 401
    assert (await app.client.get(f"/posts/{post['id']}")).status_code == 404
    assert post["id"] not in [p["id"] for p in (await app.client.get("/posts/")).json()]
    assert (await app.client.get(f"/users/{member.id}/posts")).json() == []
    right = await login(app.client, member.username)
    assert_problem(right, 403, "This account is deactivated")
    wrong = await login(app.client, member.username, "not the password")
    assert_problem(wrong, 401, "Incorrect username or password")

    assert (await _patch(app, admin, member.id, active=True)).status_code == 200
    assert (await app.client.get(f"/posts/{post['id']}")).status_code == 200
    assert (await login(app.client, member.username)).status_code == 200


async def test_the_last_active_admin_is_neither_demoted_nor_deactivated(
    app: App, admin: Account
) -> None:
    for body in ({"role": "member"}, {"active": False}):
        response = await _patch(app, admin, admin.id, **body)
        assert_problem(
            response,
            409,
            "This is the last active admin: grant another account the admin role "
            "before demoting or deactivating it",
        )
    other = await sign_up(app.client)
    assert (await _patch(app, admin, other.id, role="admin")).status_code == 200
    assert (await _patch(app, admin, admin.id, role="member")).json()["role"] == "member"


@pytest.mark.parametrize(
    "body",
    [{}, {"role": "owner"}, {"active": None}, {"role": "admin", "email": "x@example.com"}],
    ids=["empty", "unknown-role", "null", "unknown-field"],
)
async def test_a_bad_change_is_422_and_changes_nothing(
    app: App, admin: Account, body: dict[str, Any]
) -> None:
    member = await sign_up(app.client)

    response = await _patch(app, admin, member.id, **body)

    if body:
        assert_problem(response, 422)
    else:
        assert response.status_code == 200, "nothing to change is no change"
    assert (await app.client.get("/users/me", headers=member.headers)).json()["role"] == "member"


async def test_an_unknown_account_is_404(app: App, admin: Account) -> None:
    assert_problem(await _patch(app, admin, 999_999, active=False), 404, "User not found")


async def test_an_admin_removes_a_post_with_a_reason_kept_in_the_trail(
    app: App, admin: Account
) -> None:
    author = await sign_up(app.client)
    post = await publish(app.client, author)

    without = await app.client.delete(f"/posts/{post['id']}", headers=admin.headers)
    removed = await app.client.delete(
        f"/posts/{post['id']}", params={"reason": "spam"}, headers=admin.headers
    )

    assert_problem(without, 422, "An admin removing another member's post must give a reason")
    assert removed.status_code == 204
    assert (await app.client.get(f"/posts/{post['id']}")).status_code == 404
    (event,) = await _events(app, admin, kind="post-removed")
    assert (event["actor_id"], event["target"]) == (admin.id, f"post:{post['id']}")
    assert event["detail"] == f"user:{author.id}: spam"
    assert event["request_id"] == removed.headers["x-request-id"]
    assert event["client_network"] == "127.0.0.0/24"


async def test_the_trail_records_sign_ins_and_changes(app: App, admin: Account) -> None:
    member = await sign_up(app.client)
    await login(app.client, member.username, "a wrong password")
    await app.client.patch(
        "/users/me",
        json={"password": "another long passphrase", "current_password": PASSWORD},
        headers=member.headers,
    )
    await _patch(app, admin, member.id, role="admin")
    await _patch(app, admin, member.id, active=False)

    events = await _events(app, admin, target=f"user:{member.id}")

    assert [e["kind"] for e in events] == [
        "activity-changed",
        "role-changed",
        "password-changed",
        "login-failed",
        "login-succeeded",
    ], "newest first"
    assert events[0]["detail"].startswith("deactivated; ")
    assert events[1]["detail"] == "admin"
    assert (events[2]["actor_id"], events[3]["actor_id"]) == (member.id, None)
    assert [e["kind"] for e in await _events(app, admin, actor_id=member.id)] == [
        "password-changed",
        "login-succeeded",
    ]
    for secret in (PASSWORD, "another long passphrase", "a wrong password", member.token):
        assert secret not in str(events)


async def test_sign_outs_are_in_the_trail(app: App, admin: Account) -> None:
    member = await sign_up(app.client)
    other = (await login(app.client, member.username)).json()
    await app.client.delete("/users/me/sessions", headers=member.headers)
    await app.client.post("/auth/logout", headers=member.headers)

    events = await _events(app, admin, kind="sessions-revoked")

    assert [(e["actor_id"], e["detail"]) for e in events] == [
        (member.id, "logout"),
        (member.id, "revoked-by-owner: 1 other sessions"),
    ]
    assert (
        await app.client.get("/users/me", headers=bearer(other["access_token"]))
    ).status_code == 401


async def test_a_reused_refresh_token_is_in_the_trail(app: App, admin: Account) -> None:
    member = await sign_up(app.client)
    await refresh(app.client, member.refresh_token)
    await refresh(app.client, member.refresh_token)

    (event,) = await _events(app, admin, kind="sessions-revoked")

    assert (event["actor_id"], event["detail"]) == (None, "refresh-token-reused")
    assert event["target"].startswith("session:")


async def test_the_trail_pages_newest_first(app: App, admin: Account) -> None:
    for _ in range(3):
        await login(app.client, admin.username, "wrong")

    first = await app.client.get("/admin/audit?kind=login-failed&limit=2", headers=admin.headers)
    second = await app.client.get(first.links["next"]["url"], headers=admin.headers)

    ids = [e["id"] for e in first.json() + second.json()]
    assert ids == sorted(ids, reverse=True)
    assert len(ids) == 3
