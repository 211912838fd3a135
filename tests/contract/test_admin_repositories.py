"""One contract for what admins read and change, on the in-memory adapter and on PostgreSQL:
accounts' activity and their search, posts hidden with their deactivated author, and the
audit trail."""

from collections.abc import Callable
from dataclasses import replace

import psycopg
import pytest

from application.unit_of_work import UnitOfWork
from domain.audit import AuditFilter, AuditKind, NewAuditEvent, Origin
from domain.users import Role, User, UserFilter, UserNotFoundError
from tests.support.factories import new_post, new_user

UowFactory = Callable[[], UnitOfWork]


async def _users(uow_factory: UowFactory, *names: str) -> list[User]:
    async with uow_factory().write() as tx:
        added = [
            await tx.users.add(new_user(username=name, email=f"{name}@example.com"))
            for name in names
        ]
        await tx.commit()
    return added


async def _set_active(uow_factory: UowFactory, user: User, active: bool) -> User:
    async with uow_factory().write() as tx:
        changed = await tx.users.set_active(user.id, active)
        await tx.commit()
    assert changed is not None
    return changed


async def test_set_active_moves_the_version_only_on_a_change(uow_factory: UowFactory) -> None:
    (user,) = await _users(uow_factory, "ada")

    off = await _set_active(uow_factory, user, False)
    again = await _set_active(uow_factory, off, False)

    assert (off.active, off.version) == (False, user.version + 1)
    assert again == off
    async with uow_factory().write() as tx:
        assert await tx.users.set_active(user.id + 1000, False) is None


async def test_a_deactivated_admin_is_not_among_the_active_admins(
    uow_factory: UowFactory,
) -> None:
    one, two = await _users(uow_factory, "one", "two")
    async with uow_factory().write() as tx:
        for user in (one, two):
            await tx.users.set_role(user.id, Role.ADMIN)
        await tx.users.set_active(two.id, False)
        await tx.commit()

    async with uow_factory().write() as tx:
        assert list(await tx.users.lock_admins()) == [one.id]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (UserFilter(), ["ada_x", "adaxy", "Bob", "carl"]),
        (UserFilter(username_prefix="ADA"), ["ada_x", "adaxy"]),
        (UserFilter(username_prefix="ada_"), ["ada_x"]),
        (UserFilter(username_prefix="%"), []),
        (UserFilter(email_prefix="BOB@"), ["Bob"]),
        (UserFilter(role=Role.ADMIN), ["carl"]),
        (UserFilter(active=False), ["adaxy"]),
        (UserFilter(active=True, role=Role.MEMBER), ["ada_x", "Bob"]),
    ],
    ids=repr,
)
async def test_search_keeps_what_the_filter_says(
    uow_factory: UowFactory, where: UserFilter, expected: list[str]
) -> None:
    _, adaxy, _, carl = await _users(uow_factory, "ada_x", "adaxy", "Bob", "carl")
    await _set_active(uow_factory, adaxy, False)
    async with uow_factory().write() as tx:
        await tx.users.set_role(carl.id, Role.ADMIN)
        await tx.commit()

    async with uow_factory().read() as repos:
        found = await repos.users.search(where, limit=10)

    assert [user.username for user in found] == expected


async def test_search_pages_after_and_before_a_key(uow_factory: UowFactory) -> None:
    users = await _users(uow_factory, "a1", "a2", "a3", "a4")
    ids = [user.id for user in users]

    async with uow_factory().read() as repos:
        after = await repos.users.search(UserFilter(), limit=2, after=ids[0])
        before = await repos.users.search(UserFilter(), limit=2, before=ids[3])

    assert [u.id for u in after] == ids[1:3]
    assert [u.id for u in before] == ids[1:3]


async def test_a_deactivated_authors_posts_are_hidden_and_they_cannot_publish(
    uow_factory: UowFactory,
) -> None:
    author, other = await _users(uow_factory, "author", "other")
    async with uow_factory().write() as tx:
        hidden = await tx.posts.add(new_post(author_id=author.id))
        shown = await tx.posts.add(new_post(author_id=other.id))
        await tx.commit()
    await _set_active(uow_factory, author, False)

    async with uow_factory().read() as repos:
        assert await repos.posts.get_authored(hidden.post.id) is None
        assert await repos.posts.get_authored(shown.post.id) is not None
        listed = await repos.posts.list_authored(limit=10)
        by_author = await repos.posts.list_authored(limit=10, author_id=author.id)
    assert [p.post.id for p in listed] == [shown.post.id]
    assert by_author == []
    async with uow_factory().write() as tx:
        with pytest.raises(UserNotFoundError):
            await tx.posts.add(new_post(author_id=author.id))

    await _set_active(uow_factory, author, True)
    async with uow_factory().read() as repos:
        assert await repos.posts.get_authored(hidden.post.id) is not None


def _event(kind: AuditKind, actor_id: int | None, target: str, **origin: str) -> NewAuditEvent:
    return NewAuditEvent(
        kind=kind, actor_id=actor_id, target=target, detail="d", origin=Origin(**origin)
    )


async def test_the_trail_records_in_the_transaction_and_lists_newest_first(
    uow_factory: UowFactory,
) -> None:
    async with uow_factory().write() as tx:
        await tx.audit.record(_event(AuditKind.LOGIN_FAILED, None, "user:1"))
        await tx.audit.record(
            _event(AuditKind.ROLE_CHANGED, 9, "user:2", request_id="r", client_network="n")
        )
        await tx.commit()
    async with uow_factory().write() as tx:
        await tx.audit.record(_event(AuditKind.POST_REMOVED, 9, "post:3"))
        # left without a commit: rolled back, and not recorded

    async with uow_factory().read() as repos:
        events = await repos.audit.list(AuditFilter(), limit=10)

    assert [e.kind for e in events] == [AuditKind.ROLE_CHANGED, AuditKind.LOGIN_FAILED]
    assert (events[0].actor_id, events[0].target) == (9, "user:2")
    assert (events[0].request_id, events[0].client_network) == ("r", "n")
    assert events[0].id > events[1].id
    assert events[1].actor_id is None


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (AuditFilter(actor_id=9), ["post:3", "user:2"]),
        (AuditFilter(target="user:1"), ["user:1"]),
        (AuditFilter(kind=AuditKind.POST_REMOVED), ["post:3"]),
        (AuditFilter(actor_id=9, kind=AuditKind.ROLE_CHANGED), ["user:2"]),
    ],
    ids=repr,
)
async def test_the_trail_is_filtered_by_actor_target_and_kind(
    uow_factory: UowFactory, where: AuditFilter, expected: list[str]
) -> None:
    async with uow_factory().write() as tx:
        await tx.audit.record(_event(AuditKind.LOGIN_FAILED, None, "user:1"))
        await tx.audit.record(_event(AuditKind.ROLE_CHANGED, 9, "user:2"))
        await tx.audit.record(_event(AuditKind.POST_REMOVED, 9, "post:3"))
        await tx.commit()

    async with uow_factory().read() as repos:
        found = await repos.audit.list(where, limit=10)

    assert [event.target for event in found] == expected


async def test_over_long_text_is_cut_to_the_columns(uow_factory: UowFactory) -> None:
    long = replace(
        _event(AuditKind.POST_REMOVED, 1, "post:1" + "x" * 100),
        detail="y" * 1000,
        origin=Origin(request_id="r" * 300, client_network="n" * 100),
    )
    async with uow_factory().write() as tx:
        await tx.audit.record(long)
        await tx.commit()

    async with uow_factory().read() as repos:
        (event,) = await repos.audit.list(AuditFilter(), limit=1)
    assert (len(event.target), len(event.detail), len(event.request_id)) == (64, 500, 128)
    assert len(event.client_network) == 64


@pytest.mark.postgres
async def test_postgresql_refuses_to_change_or_delete_an_event(
    pg_connection: psycopg.AsyncConnection[object],
) -> None:
    await pg_connection.execute(
        "INSERT INTO audit_events (kind, target, detail, request_id, client_network) "
        "VALUES ('login-failed', 'user:1', '', '', '')"
    )

    for statement in ("UPDATE audit_events SET detail = 'forged'", "DELETE FROM audit_events"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            await pg_connection.execute(statement)
    rows = await (await pg_connection.execute("SELECT detail FROM audit_events")).fetchall()
    assert rows == [("",)]
