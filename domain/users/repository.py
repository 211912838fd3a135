"""The port through which use cases reach stored users."""

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from domain.users.entities import NewUser, Role, User, UserFilter


class UserRepository(Protocol):
    """A collection of users.

    Implementations never commit: the unit of work that hands them out does.
    Look-ups by email and username ignore case, as the uniqueness rules do.
    """

    async def add(self, user: NewUser) -> User:
        """Store a new user and return it with its id and timestamps.

        Raises EmailAlreadyRegisteredError or UsernameAlreadyTakenError when
        another user holds the email or the username, in any case.
        """
        ...

    async def get(self, user_id: int, *, for_update: bool = False) -> User | None:
        """Return the user with this id, or None; `for_update` locks the row, as for posts."""
        ...

    async def get_signed_in(self, user_id: int, session_id: UUID) -> User | None:
        """Return the user if they are active and `session_id` is a live session of theirs,
        else None, in one read.

        What a request with an access token costs to check that its session
        was not revoked meanwhile: the read of the caller's account it makes anyway.
        """
        ...

    async def get_by_email(self, email: str) -> User | None:
        """Return the user with this email, compared without case, or None."""
        ...

    async def get_by_username(self, username: str) -> User | None:
        """Return the user with this username, compared without case, or None."""
        ...

    async def list(
        self,
        *,
        limit: int,
        skip: int = 0,
        after: int | None = None,
        before: int | None = None,
    ) -> Sequence[User]:
        """Return at most `limit` users ordered by id, after skipping `skip`.

        `after` keeps ids above it and returns the first `limit`; `before`
        keeps ids below it and returns the last `limit`, still in id order.
        """
        ...

    async def update(self, user: User, *, expected_version: int | None = None) -> User | None:
        """Store the email, username and password hash of `user`; return it as stored.

        `updated_at` becomes the transaction's time, or one microsecond past the
        stored one when that is later (a change that waited for another on the
        row's lock is stamped after it), and `version` grows by one.
        With `expected_version`, only if the stored version is still that one,
        checked by the write itself: raises VersionMismatchError otherwise.
        Returns None when no user has that id; raises the same conflicts as `add`.
        """
        ...

    async def set_role(self, user_id: int, role: Role) -> User | None:
        """Store the account's role; return it as stored, or None when no user has that id.

        A change to another role moves `version` and `updated_at`, as the
        owner's private view shows the role; setting the role it has changes nothing.
        """
        ...

    async def set_active(self, user_id: int, active: bool) -> User | None:
        """Activate or deactivate the account, as `set_role` changes a role."""
        ...

    async def search(
        self,
        where: UserFilter,
        *,
        limit: int,
        after: int | None = None,
        before: int | None = None,
    ) -> Sequence[User]:
        """Like `list` (no `skip`), keeping only the users `where` describes."""
        ...

    async def lock_admins(self) -> Sequence[int]:
        """Lock the rows of every active admin until the transaction ends; return their ids,
        in order.

        What a change of roles takes first, so that the count it checks
        (the last admin) cannot change under it.
        """
        ...

    async def replace_password_hash(self, user_id: int, *, old: str, new: str) -> bool:
        """Swap the hash for a re-hash of the same password, only if it is still `old`.

        A password changed meanwhile must not be overwritten by the re-hash of
        the previous one. `updated_at` and `version` stay, as nothing a client
        sees changed: moving the version would fail the next conditional
        change of a client that logged in elsewhere, for a change it cannot see.
        """
        ...

    async def delete(self, user_id: int, *, expected_version: int | None = None) -> bool:
        """Delete the user and, with them, their posts; return whether they existed.

        With `expected_version`, only if the stored version is still that one,
        checked by the delete itself: raises VersionMismatchError otherwise.
        """
        ...
