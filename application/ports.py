"""Ports the use cases need that are not about storage."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from domain.sessions import Caller
from domain.users import User


class PasswordHasher(Protocol):
    """Turns passwords into hashes that are safe to store, and checks them.

    The methods are coroutines so that an implementation can run the
    deliberately slow hash off the event loop, and bound how many run at
    once: past its bound, one raises a BusyError rather than queue forever.
    """

    async def hash(self, password: str) -> str: ...

    async def verify(self, password: str, password_hash: str) -> bool: ...

    async def verify_and_update(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        """Check the password; when the hash was made with outdated parameters, also
        return a new hash to store in its place (else None)."""
        ...

    async def verify_dummy(self, password: str) -> None:
        """Spend the time of a real verification, for a login whose user does not exist.

        Answering an unknown account faster than a wrong password would let
        anyone find out which accounts exist.
        """
        ...


class PasswordStrength(Protocol):
    """Refuses passwords that are easy to guess (NIST SP 800-63B's blocklist, and more)."""

    async def refuse_if_weak(self, password: str, *, user_inputs: Sequence[str]) -> None:
        """Raise WeakPasswordError when `password` is too easy to guess.

        `user_inputs` are the account's own words (its username, its email):
        a password made of them is guessed first by anyone who knows whose it is.
        """
        ...


class PasswordGuesses(Protocol):
    """Counts checks of an account's password outside logging in, as failed logins are.

    Without it, a use case that checks the current password would be an
    oracle for guessing it, with no limit on the number of guesses.
    """

    async def guess(self, user: User) -> None:
        """Count one guess at `user`'s password before it is checked; raise past the limit."""
        ...

    async def guessed_right(self, user: User) -> None:
        """The guess was right: drop the count, as a successful login does."""
        ...


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    expires_in: int
    """Seconds until the token expires."""


class TokenIssuer(Protocol):
    """Issues and checks the short-lived bearer tokens that name a caller and their session."""

    def issue(self, *, user_id: int, session_id: UUID) -> AccessToken: ...

    def caller_of(self, token: str) -> Caller:
        """Return the account and the session the token was issued to.

        Raises InvalidTokenError if the token is malformed, expired, tampered
        with, of another type (a refresh token, say), or signed by anything
        but this service's key and algorithm. Whether the session is still
        live is not known here: a statement the request runs anyway checks it.
        """
        ...


@dataclass(frozen=True, slots=True)
class OpaqueSecret:
    token: str
    """What the client gets, once."""
    digest: bytes
    """What is stored: the token cannot be recovered from it."""


class SecretTokens(Protocol):
    """Random single-use secrets (refresh tokens) and the digests that stand for them in storage.

    The tokens carry enough randomness that a fast digest is as safe to store
    as a password hash would be, and a lookup by digest finds them.
    """

    def new(self) -> OpaqueSecret: ...

    def digest(self, token: str) -> bytes | None:
        """The digest to look `token` up by; None for a string `new` could never have made."""
        ...
