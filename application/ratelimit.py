"""The rate-limiting port: what the service counts, and the refusal past a limit.

The HTTP layer decides what to count against (the caller's address, the
account) and turns a refusal into a 429; an adapter in infrastructure does
the counting in a store that every worker shares.
"""

from enum import StrEnum
from typing import Protocol


class Limit(StrEnum):
    """What is counted. The value starts every key, so two limits never share a counter."""

    LOGIN_ATTEMPTS = "login-attempts"
    LOGIN_FAILURES = "login-failures"
    REGISTRATIONS = "registrations"
    CREDENTIAL_CHANGES = "credential-changes"
    REFRESHES = "refreshes"
    RESET_REQUESTS = "reset-requests"
    RESET_MAILS = "reset-mails"
    VERIFICATION_MAILS = "verification-mails"


class RateLimitExceededError(Exception):
    """A limit is used up for these identifiers until its window ends."""

    def __init__(self, limit: Limit, retry_after: int) -> None:
        super().__init__(f"{limit} exhausted; retry after {retry_after} s")
        self.limit = limit
        self.retry_after = retry_after


class RateLimiter(Protocol):
    """Counts hits against each `Limit` and refuses those past it."""

    async def hit(self, limit: Limit, *identifiers: str) -> None:
        """Count one hit; raise RateLimitExceededError when it is past the limit."""
        ...

    async def forget(self, limit: Limit, *identifiers: str) -> None:
        """Drop the count of these identifiers, as if none of their hits had happened."""
        ...
