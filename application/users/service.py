"""Registering, finding and listing users."""

from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from application.ports import PasswordHasher
from application.users.commands import RegisterUser
from domain.errors import ValidationError
from domain.unit_of_work import UnitOfWork
from domain.users import (
    EmailAlreadyRegisteredError,
    NewUser,
    User,
    UsernameAlreadyTakenError,
    UserNotFoundError,
)
from domain.users.rules import validate_password

MAX_PAGE_SIZE: Final = 100


class UserService:
    """The user use cases; each one owns its transactions."""

    def __init__(self, uow: UnitOfWork, password_hasher: PasswordHasher) -> None:
        self._uow = uow
        self._hasher = password_hasher

    async def register_user(self, command: RegisterUser) -> User:
        """Create an account.

        - The email is stored lower-cased; email and username are unique
          regardless of case.
        - The password is stored only as its hash.
        - The look-ups run in their own short transaction so that a duplicate
          is answered without paying for a hash, and no connection is held
          while the hash is computed. They are only a fast path: the unique
          indexes behind `add` are what hold under concurrent registrations.
        """
        validate_password(command.password)
        candidate = NewUser.create(email=command.email, username=command.username, password_hash="")
        async with self._uow as uow:
            if await uow.users.get_by_email(candidate.email) is not None:
                raise EmailAlreadyRegisteredError
            if await uow.users.get_by_username(candidate.username) is not None:
                raise UsernameAlreadyTakenError
        password_hash = await self._hasher.hash(command.password)
        async with self._uow as uow:
            user = await uow.users.add(replace(candidate, password_hash=password_hash))
            await uow.commit()
        return user

    async def get_user(self, user_id: int) -> User:
        async with self._uow as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise UserNotFoundError
        return user

    async def list_users(self, *, skip: int = 0, limit: int = MAX_PAGE_SIZE) -> Sequence[User]:
        """Return a page of users in id order."""
        if skip < 0:
            raise ValidationError("skip must be 0 or more")
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValidationError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        async with self._uow as uow:
            return await uow.users.list(skip=skip, limit=limit)
