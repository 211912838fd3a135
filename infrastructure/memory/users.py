"""Users kept in a dict, with PostgreSQL's rules."""

from collections.abc import Callable, Sequence
from dataclasses import replace
from uuid import UUID

from domain.users import (
    EmailAlreadyRegisteredError,
    NewUser,
    Role,
    User,
    UserFilter,
    UsernameAlreadyTakenError,
)
from infrastructure.memory.transaction import OpenTransaction
from infrastructure.memory.versions import check_version


class InMemoryUserRepository:
    """One transaction's view of the users."""

    def __init__(self, transaction: OpenTransaction) -> None:
        self._tx = transaction
        self._users = transaction.users

    async def add(self, user: NewUser) -> User:
        # Like an identity column, the id is drawn before the unique checks,
        # so a failed insert leaves a gap.
        user_id = next(self._tx.store.user_ids)
        await self._claim_unique(user.email, user.username, user_id)
        stored = User(
            id=user_id,
            email=user.email,
            username=user.username,
            password_hash=user.password_hash,
            created_at=self._tx.now,
            updated_at=self._tx.now,
            version=1,
            role=user.role,
        )
        self._users.put(user_id, stored)
        return stored

    async def get(self, user_id: int, *, for_update: bool = False) -> User | None:
        if for_update:
            await self._tx.lock([("users", user_id)])
        return self._users.get(user_id)

    async def get_signed_in(self, user_id: int, session_id: UUID) -> User | None:
        session = self._tx.sessions.get(session_id)
        if session is None or session.user_id != user_id or not session.is_live(self._tx.now):
            return None
        user = self._users.get(user_id)
        return user if user is not None and user.active else None

    async def get_by_email(self, email: str) -> User | None:
        wanted = email.lower()
        return next((u for u in self._users.rows() if u.email.lower() == wanted), None)

    async def get_by_username(self, username: str) -> User | None:
        wanted = username.lower()
        return next((u for u in self._users.rows() if u.username.lower() == wanted), None)

    async def list(
        self,
        *,
        limit: int,
        skip: int = 0,
        after: int | None = None,
        before: int | None = None,
    ) -> Sequence[User]:
        ordered = sorted(self._users.rows(), key=lambda u: u.id)
        if before is not None:
            earlier = [u for u in ordered if u.id < before][::-1]
            return earlier[skip : skip + limit][::-1]
        if after is not None:
            ordered = [u for u in ordered if u.id > after]
        return ordered[skip : skip + limit]

    async def update(self, user: User, *, expected_version: int | None = None) -> User | None:
        await self._tx.lock([("users", user.id)])
        current = self._users.get(user.id)
        if current is None:
            return None
        check_version(current.version, expected_version)
        await self._claim_unique(user.email, user.username, user.id)
        stored = replace(
            current,
            email=user.email,
            username=user.username,
            password_hash=user.password_hash,
            email_verified=user.email_verified,
            pending_email=user.pending_email,
            updated_at=self._tx.stamp_after(current.updated_at),
            version=current.version + 1,
        )
        self._users.put(user.id, stored)
        return stored

    async def set_role(self, user_id: int, role: Role) -> User | None:
        return await self._set(user_id, lambda user: replace(user, role=role))

    async def set_active(self, user_id: int, active: bool) -> User | None:
        return await self._set(user_id, lambda user: replace(user, active=active))

    async def _set(self, user_id: int, change: Callable[[User], User]) -> User | None:
        """One field an admin changes; a value it has already is no change."""
        await self._tx.lock([("users", user_id)])
        current = self._users.get(user_id)
        if current is None:
            return None
        changed = change(current)
        if changed == current:
            return current
        stored = replace(
            changed,
            updated_at=self._tx.stamp_after(current.updated_at),
            version=current.version + 1,
        )
        self._users.put(user_id, stored)
        return stored

    async def search(
        self,
        where: UserFilter,
        *,
        limit: int,
        after: int | None = None,
        before: int | None = None,
    ) -> Sequence[User]:
        kept = [u for u in self._users.rows() if _matches(u, where)]
        ordered = sorted(kept, key=lambda u: u.id)
        if before is not None:
            return [u for u in ordered if u.id < before][-limit:] if limit else []
        if after is not None:
            ordered = [u for u in ordered if u.id > after]
        return ordered[:limit]

    async def lock_admins(self) -> Sequence[int]:
        # One key stands for "the admins": PostgreSQL locks their rows, which serialises the
        # same changes of roles.
        await self._tx.lock([("users.admins", None)])
        return sorted(u.id for u in self._users.rows() if u.role is Role.ADMIN and u.active)

    async def replace_password_hash(self, user_id: int, *, old: str, new: str) -> bool:
        await self._tx.lock([("users", user_id)])
        current = self._users.get(user_id)
        if current is None or current.password_hash != old:
            return False
        self._users.put(user_id, replace(current, password_hash=new))
        return True

    async def delete(self, user_id: int, *, expected_version: int | None = None) -> bool:
        # ("users.key", id) is what new posts lock in share mode: see InMemoryPostRepository.add.
        await self._tx.lock([("users", user_id), ("users.key", user_id)])
        current = self._users.get(user_id)
        if current is None:
            return False
        check_version(current.version, expected_version)
        self._tx.delete("users", user_id)
        return True

    async def _claim_unique(self, email: str, username: str, user_id: int) -> None:
        email, username = email.lower(), username.lower()
        await self._tx.lock([("email", email), ("username", username)])
        for other in self._users.rows():
            if other.id == user_id:
                continue
            if other.email.lower() == email:
                raise EmailAlreadyRegisteredError
            if other.username.lower() == username:
                raise UsernameAlreadyTakenError


def _matches(user: User, where: UserFilter) -> bool:
    if where.username_prefix is not None and not user.username.lower().startswith(
        where.username_prefix.lower()
    ):
        return False
    if where.email_prefix is not None and not user.email.lower().startswith(
        where.email_prefix.lower()
    ):
        return False
    if where.role is not None and user.role is not where.role:
        return False
    return where.active is None or user.active is where.active
