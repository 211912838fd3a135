"""Ports the use cases need that are not about storage."""

from typing import Protocol


class PasswordHasher(Protocol):
    """Turns passwords into hashes that are safe to store, and checks them.

    The methods are coroutines so that an implementation can run the
    deliberately slow hash off the event loop.
    """

    async def hash(self, password: str) -> str: ...

    async def verify(self, password: str, password_hash: str) -> bool: ...
