"""The permissions table: every action has a rule and a refusal, and the rule is who may."""

from datetime import UTC, datetime

import pytest

from domain.authorization import POLICY, Action, Party, authorize, may, parties
from domain.errors import PermissionDeniedError
from domain.posts import NotPostAuthorError
from domain.users import AdminOnlyError, NotAccountOwnerError, Role, User

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


EXPECTED = {
    # action: (the owner, another member, an admin)
    Action.CHANGE_ACCOUNT: (True, False, False),
    Action.DELETE_ACCOUNT: (True, False, False),
    Action.EDIT_POST: (True, False, False),
    Action.DELETE_POST: (True, False, True),
    Action.ADMINISTER_ACCOUNTS: (False, False, True),
}


def test_the_expectations_name_every_action() -> None:
    assert set(EXPECTED) == set(Action)


@pytest.mark.parametrize(("action", "expected"), EXPECTED.items(), ids=str)
def test_who_may_do_each_action(action: Action, expected: tuple[bool, bool, bool]) -> None:
    owner_id = OWNER.id if action is not Action.ADMINISTER_ACCOUNTS else None
    allowed = tuple(may(actor, action, owner_id=owner_id) for actor in (OWNER, OTHER, ADMIN))

    assert allowed == expected


@pytest.mark.parametrize(
    ("action", "refusal"),
    [
        (Action.CHANGE_ACCOUNT, NotAccountOwnerError),
        (Action.DELETE_ACCOUNT, NotAccountOwnerError),
        (Action.EDIT_POST, NotPostAuthorError),
        (Action.DELETE_POST, NotPostAuthorError),
        (Action.ADMINISTER_ACCOUNTS, AdminOnlyError),
    ],
)
def test_each_refusal_says_what_was_refused(
    action: Action, refusal: type[PermissionDeniedError]
) -> None:
    with pytest.raises(refusal):
        authorize(OTHER, action, owner_id=OWNER.id)


def test_an_admin_is_refused_nothing_as_an_owner_that_a_member_owner_may() -> None:
    for action in (Action.CHANGE_ACCOUNT, Action.EDIT_POST, Action.DELETE_POST):
        assert may(ADMIN, action, owner_id=ADMIN.id)
