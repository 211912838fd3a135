"""The port through which use cases reach stored sessions and their refresh tokens."""

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from domain.sessions.entities import NewSession, RevocationReason, Session


class SessionRepository(Protocol):
    """The sessions, and the hashes of the refresh tokens issued in each.

    A refresh token is stored only as its digest; a session's tokens are
    deleted when it is revoked, and with it when it is purged or its account
    deleted. Implementations never commit: the unit of work does. "Live"
    means neither revoked nor past its expiry, at the database's clock.
    """

    async def start(self, session: NewSession, *, refresh_token: bytes) -> Session | None:
        """Store a new session with its first refresh token's digest.

        Returns None, storing nothing, when the account does not exist (any
        more): a login that raced the account's deletion.
        """
        ...

    async def rotate(self, spent: bytes, *, issued: bytes) -> Session | None:
        """Spend the refresh token `spent` and issue `issued` in its place, in one step.

        Only a token not spent yet, of a live session, is rotated; the
        session's `last_used_at` becomes now. Of two rotations of one token at
        once, exactly one succeeds: the other waits for it, then finds the
        token spent. Returns None, changing nothing, when the token is
        unknown, spent, or its session ended.
        """
        ...

    async def spent_in(self, refresh_token: bytes) -> UUID | None:
        """The session in which this refresh token was issued and has been spent, if that
        session is still live; else None."""
        ...

    async def get(self, session_id: UUID) -> Session | None:
        """The session with this id, live or ended, or None."""
        ...

    async def list_live(self, user_id: int) -> Sequence[Session]:
        """The account's live sessions, the most recently used first."""
        ...

    async def revoke(
        self, session_id: UUID, *, reason: RevocationReason, user_id: int | None = None
    ) -> bool:
        """End a live session now and delete its refresh tokens; return whether one was live.

        With `user_id`, only if the session is that account's.
        """
        ...

    async def revoke_all(
        self, user_id: int, *, reason: RevocationReason, keep: UUID | None = None
    ) -> int:
        """End every live session of the account but `keep`; return how many ended."""
        ...

    async def purge_ended(self) -> int:
        """Delete every revoked or expired session, with its tokens; return how many."""
        ...
