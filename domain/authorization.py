"""Who may do what to which resource: the service's permissions, written in one table.

The use cases ask `authorize` with the caller they were given and the owner
of the resource they found; routers only pass the caller on. A rule here is
a rule for every interface (the HTTP API, the command line, a test of a
service), and a new action cannot be served without a row: `authorize`
refuses one it does not know.
"""

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Final

from domain.errors import PermissionDeniedError
from domain.posts.errors import NotPostAuthorError
from domain.users.entities import Role, User
from domain.users.errors import AdminOnlyError, NotAccountOwnerError


class Action(StrEnum):
    CHANGE_ACCOUNT = "change-account"
    DELETE_ACCOUNT = "delete-account"
    EDIT_POST = "edit-post"
    DELETE_POST = "delete-post"
    ADMINISTER_ACCOUNTS = "administer-accounts"
    """List every account with its private fields; change roles and activity."""


class Party(StrEnum):
    """Who a caller is to a resource."""

    OWNER = "owner"
    """The account itself, or a post's author."""
    ADMIN = "admin"
    """A caller with the admin role, whoever owns the resource."""


POLICY: Final[Mapping[Action, frozenset[Party]]] = {
    Action.CHANGE_ACCOUNT: frozenset({Party.OWNER}),
    Action.DELETE_ACCOUNT: frozenset({Party.OWNER}),
    Action.EDIT_POST: frozenset({Party.OWNER}),
    Action.DELETE_POST: frozenset({Party.OWNER, Party.ADMIN}),
    Action.ADMINISTER_ACCOUNTS: frozenset({Party.ADMIN}),
}
"""Who may do each action. An admin removes others' posts (moderation, with a reason) and
administers accounts; changing or deleting an account, and editing a post, stay the owner's."""

_REFUSAL: Final[Mapping[Action, Callable[[], PermissionDeniedError]]] = {
    Action.CHANGE_ACCOUNT: NotAccountOwnerError,
    Action.DELETE_ACCOUNT: NotAccountOwnerError,
    Action.EDIT_POST: NotPostAuthorError,
    Action.DELETE_POST: NotPostAuthorError,
    Action.ADMINISTER_ACCOUNTS: AdminOnlyError,
}


def parties(actor: User, *, owner_id: int | None = None) -> frozenset[Party]:
    """Everything `actor` is to a resource owned by `owner_id` (None: a resource of nobody's,
    such as the list of accounts)."""
    found = {Party.OWNER} if actor.id == owner_id else set()
    if actor.role is Role.ADMIN:
        found.add(Party.ADMIN)
    return frozenset(found)


def may(actor: User, action: Action, *, owner_id: int | None = None) -> bool:
    return bool(POLICY[action] & parties(actor, owner_id=owner_id))


def authorize(actor: User, action: Action, *, owner_id: int | None = None) -> None:
    """Raise the action's PermissionDeniedError unless the policy lets `actor` do it."""
    if not may(actor, action, owner_id=owner_id):
        raise _REFUSAL[action]()
