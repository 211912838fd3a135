"""Users kept in a dict, with PostgreSQL's rules."""

from collections.abc import Iterable, Sequence
from datetime import datetime

from domain.users import EmailAlreadyRegisteredError, NewUser, User, UsernameAlreadyTakenError
from infrastructure.memory.store import InMemoryStore, Transaction


class InMemoryUserRepository:
    """One transaction's view of the users: the committed ones plus its own additions."""

    def __init__(self, store: InMemoryStore, transaction: Transaction, now: datetime) -> None:
        self._store = store
        self._transaction = transaction
        self._now = now
        self._added: dict[int, User] = {}

    async def add(self, user: NewUser) -> User:
        # Like an identity column, the id is drawn before the unique checks,
        # so a failed insert leaves a gap.
        user_id = next(self._store.user_ids)
        email, username = user.email.lower(), user.username.lower()
        await self._store.claim([("email", email), ("username", username)], self._transaction)
        for other in self._visible():
            if other.email.lower() == email:
                raise EmailAlreadyRegisteredError
            if other.username.lower() == username:
                raise UsernameAlreadyTakenError
        stored = User(
            id=user_id,
            email=user.email,
            username=user.username,
            password_hash=user.password_hash,
            created_at=self._now,
            updated_at=self._now,
        )
        self._added[user_id] = stored
        return stored

    async def get(self, user_id: int) -> User | None:
        return self._added.get(user_id) or self._store.users.get(user_id)

    async def get_by_email(self, email: str) -> User | None:
        wanted = email.lower()
        return next((u for u in self._visible() if u.email.lower() == wanted), None)

    async def get_by_username(self, username: str) -> User | None:
        wanted = username.lower()
        return next((u for u in self._visible() if u.username.lower() == wanted), None)

    async def list(self, *, skip: int, limit: int) -> Sequence[User]:
        ordered = sorted(self._visible(), key=lambda u: u.id)
        return ordered[skip : skip + limit]

    def publish(self) -> None:
        """Write this transaction's additions to the store."""
        self._store.users.update(self._added)
        self._added.clear()

    def discard(self) -> None:
        self._added.clear()

    def _visible(self) -> Iterable[User]:
        yield from self._store.users.values()
        yield from self._added.values()
