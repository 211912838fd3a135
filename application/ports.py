"""Ports the use cases need that are not about storage."""

from dataclasses import dataclass
from typing import Protocol


class PasswordHasher(Protocol):
    """Turns passwords into hashes that are safe to store, and checks them.

    The methods are coroutines so that an implementation can run the
    deliberately slow hash off the event loop.
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


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    expires_in: int
    """Seconds until the token expires."""


class TokenIssuer(Protocol):
    """Issues and checks the bearer tokens that identify a user."""

    def issue(self, user_id: int) -> AccessToken: ...

    def user_id_of(self, token: str) -> int:
        """Return the id of the user the token was issued to.

        Raises InvalidTokenError if the token is malformed, expired, tampered
        with, or signed by anything but this service's key and algorithm.
        """
        ...
