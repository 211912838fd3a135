"""Users kept in a dict, with PostgreSQL's rules."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from domain.posts import Post
from domain.users import EmailAlreadyRegisteredError, NewUser, User, UsernameAlreadyTakenError
from infrastructure.memory.store import InMemoryStore, Transaction
from infrastructure.memory.table import TableView


class InMemoryUserRepository:
    """One transaction's view of the users."""

    def __init__(
        self,
        store: InMemoryStore,
        transaction: Transaction,
        now: datetime,
        users: TableView[User],
        posts: TableView[Post],
    ) -> None:
        self._store = store
        self._transaction = transaction
        self._now = now
        self._users = users
        self._posts = posts

    async def add(self, user: NewUser) -> User:
        # Like an identity column, the id is drawn before the unique checks,
        # so a failed insert leaves a gap.
        user_id = next(self._store.user_ids)
        await self._claim_unique(user.email, user.username, user_id)
        stored = User(
            id=user_id,
            email=user.email,
            username=user.username,
            password_hash=user.password_hash,
            created_at=self._now,
            updated_at=self._now,
        )
        self._users.put(user_id, stored)
        return stored

    async def get(self, user_id: int) -> User | None:
        return self._users.get(user_id)

    async def get_by_email(self, email: str) -> User | None:
        wanted = email.lower()
        return next((u for u in self._users.rows() if u.email.lower() == wanted), None)

    async def get_by_username(self, username: str) -> User | None:
        wanted = username.lower()
        return next((u for u in self._users.rows() if u.username.lower() == wanted), None)

    async def list(self, *, skip: int, limit: int) -> Sequence[User]:
        ordered = sorted(self._users.rows(), key=lambda u: u.id)
        return ordered[skip : skip + limit]

    async def update(self, user: User) -> User | None:
        await self._store.lock([("users", user.id)], self._transaction)
        current = self._users.get(user.id)
        if current is None:
            return None
        await self._claim_unique(user.email, user.username, user.id)
        stored = replace(
            current,
            email=user.email,
            username=user.username,
            password_hash=user.password_hash,
            updated_at=self._now,
        )
        self._users.put(user.id, stored)
        return stored

    async def replace_password_hash(self, user_id: int, *, old: str, new: str) -> bool:
        await self._store.lock([("users", user_id)], self._transaction)
        current = self._users.get(user_id)
        if current is None or current.password_hash != old:
            return False
        self._users.put(user_id, replace(current, password_hash=new))
        return True

    async def delete(self, user_id: int) -> bool:
        # ("users.key", id) is what new posts lock in share mode: see InMemoryPostRepository.add.
        await self._store.lock([("users", user_id), ("users.key", user_id)], self._transaction)
        if self._users.get(user_id) is None:
            return False
        self._users.remove(user_id)
        # ON DELETE CASCADE
        for post in [p for p in self._posts.rows() if p.author_id == user_id]:
            self._posts.remove(post.id)
        return True

    async def _claim_unique(self, email: str, username: str, user_id: int) -> None:
        email, username = email.lower(), username.lower()
        await self._store.lock([("email", email), ("username", username)], self._transaction)
        for other in self._users.rows():
            if other.id == user_id:
                continue
            if other.email.lower() == email:
                raise EmailAlreadyRegisteredError
            if other.username.lower() == username:
                raise UsernameAlreadyTakenError
