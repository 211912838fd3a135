"""The user entity.

Entities are immutable values: a change produces a new one, which the
repository stores. That keeps the in-memory adapter honest (nothing can be
changed behind its back) and lets PostgreSQL assign what it owns: the id and
the timestamps.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from domain.revisions import digest_revision
from domain.users.rules import normalize_email, validate_username


class Role(StrEnum):
    """What an account may do beyond its own things (see `domain.authorization`)."""

    MEMBER = "member"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True, kw_only=True)
class NewUser:
    """A user that is about to be stored and has no id yet."""

    email: str
    username: str
    password_hash: str
    role: Role = Role.MEMBER

    @classmethod
    def create(
        cls, *, email: str, username: str, password_hash: str, role: Role = Role.MEMBER
    ) -> "NewUser":
        """Build a user from raw input, applying the domain's rules."""
        return cls(
            email=normalize_email(email),
            username=validate_username(username),
            password_hash=password_hash,
            role=role,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class UserFilter:
    """What an admin's list of accounts keeps; each field left None keeps everyone."""

    username_prefix: str | None = None
    """Compared without case, as usernames are unique."""
    email_prefix: str | None = None
    """Compared without case, as emails are stored lower-cased."""
    role: Role | None = None
    active: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """A registered account."""

    id: int
    email: str
    username: str
    password_hash: str
    created_at: datetime
    updated_at: datetime
    version: int
    """Starts at 1 and grows by one with every change a client can see."""
    role: Role = Role.MEMBER
    active: bool = True
    """False once an admin deactivated the account: no login, no session, its posts hidden."""
    email_verified: bool = False
    """A link mailed to `email` was used: the owner reads that mailbox."""
    pending_email: str | None = None
    """The address the owner asked to move to; `email` stays until a link mailed there is used."""

    @property
    def revision(self) -> str:
        """Names this state of the account as its owner sees it (the private view).

        Equal revisions, equal representations: it moves with every change of
        the account, the email and the password hash included, and it is the
        one a conditional change (`If-Match`) names. A re-hash of the same
        password leaves it as it is (see `UserRepository.replace_password_hash`),
        as it leaves the representation.
        """
        return str(self.version)

    @property
    def public_revision(self) -> str:
        """Names the state of the public view (id, username, created_at) that anyone may read.

        A digest of those fields rather than the version: the version also
        moves when the owner changes their email or password, and a stranger
        re-reading the public view must not learn when that happened. It
        moves exactly when the public view does (a name changed back gives
        the earlier revision back, as the view is the same again).
        """
        return digest_revision(self.id, self.username, self.created_at)

    def moving_to(self, email: str) -> "User":
        """The account once its owner asks to move to `email`, which stays pending until
        proven; asking for the address it has already drops any pending move."""
        address = normalize_email(email)
        return replace(self, pending_email=None if address == self.email else address)

    def proven(self, email: str) -> "User | None":
        """The account once a link mailed to `email` is used: its address verified, or the
        pending move made; None when `email` is neither (a link superseded since)."""
        if email == self.email:
            return replace(self, email_verified=True)
        if email == self.pending_email:
            return replace(self, email=email, pending_email=None, email_verified=True)
        return None

    def changed(
        self,
        *,
        email: str | None = None,
        username: str | None = None,
        password_hash: str | None = None,
    ) -> "User":
        """Return the user with the given fields changed, each checked by the rules."""
        return replace(
            self,
            email=self.email if email is None else normalize_email(email),
            username=self.username if username is None else validate_username(username),
            password_hash=self.password_hash if password_hash is None else password_hash,
        )
