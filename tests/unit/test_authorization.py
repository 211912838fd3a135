"""The permissions table: every action has a rule and a refusal, and the rule is who may."""

from datetime import UTC, datetime

import pytest

from domain.authorization import POLICY, Action, Party, authorize, may, parties
from domain.errors import PermissionDeniedError
from domain.posts import NotPostAuthorError
from domain.users import NotAccountOwnerError, Role, User

NOW = datetime(2026, 12, 2, tzinfo=UTC)


def _user(user_id: int, role: Role = Role.MEMBER) -> User:
    return User(
        id=user_id,
        email=f"u{user_id}@example.com",
        username=f"user{user_id}",
        password_hash="x",
        created_at=NOW,
        updated_at=NOW,
        version=1,
        role=role,
    )


OWNER, OTHER, ADMIN = _user(1), _user(2), _user(3, Role.ADMIN)


def test_every_action_has_a_rule() -> None:
    assert set(POLICY) == set(Action)


def test_who_a_caller_is_to_a_resource() -> None:
    assert parties(OWNER, owner_id=1) == {Party.OWNER}
    assert parties(OTHER, owner_id=1) == frozenset()
    assert parties(ADMIN, owner_id=1) == {Party.ADMIN}
    assert parties(ADMIN, owner_id=3) == {Party.OWNER, Party.ADMIN}


@pytest.mark.parametrize("action", list(Action))
def test_the_owner_may_and_another_member_may_not(action: Action) -> None:
    assert may(OWNER, action, owner_id=OWNER.id)
    assert not may(OTHER, action, owner_id=OWNER.id)
    with pytest.raises(PermissionDeniedError):
        authorize(OTHER, action, owner_id=OWNER.id)


@pytest.mark.parametrize(
    ("action", "refusal"),
    [
        (Action.CHANGE_ACCOUNT, NotAccountOwnerError),
        (Action.DELETE_ACCOUNT, NotAccountOwnerError),
        (Action.EDIT_POST, NotPostAuthorError),
        (Action.DELETE_POST, NotPostAuthorError),
    ],
)
def test_each_refusal_says_what_was_refused(
    action: Action, refusal: type[PermissionDeniedError]
) -> None:
    with pytest.raises(refusal):
        authorize(OTHER, action, owner_id=OWNER.id)


@pytest.mark.parametrize("action", list(Action))
def test_the_admin_role_alone_opens_none_of_the_owners_routes(action: Action) -> None:
    """An admin acts on others' things through the admin use cases, which say so."""
    assert not may(ADMIN, action, owner_id=OWNER.id)
