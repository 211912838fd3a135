"""The port through which use cases reach stored users."""

from collections.abc import Sequence
from typing import Protocol

from domain.users.entities import NewUser, User


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

    async def get(self, user_id: int) -> User | None:
        """Return the user with this id, or None."""
        ...

    async def get_by_email(self, email: str) -> User | None:
        """Return the user with this email, compared without case, or None."""
        ...

    async def get_by_username(self, username: str) -> User | None:
        """Return the user with this username, compared without case, or None."""
        ...

    async def list(self, *, skip: int, limit: int) -> Sequence[User]:
        """Return at most `limit` users ordered by id, after skipping `skip`."""
        ...
