"""Sessions and refresh tokens kept in dicts, with PostgreSQL's rules and locks."""

from collections.abc import Sequence
from dataclasses import replace
from uuid import UUID

from domain.sessions import NewSession, RevocationReason, Session
from infrastructure.memory.schema import RefreshToken
from infrastructure.memory.transaction import OpenTransaction


class InMemorySessionRepository:
    """One transaction's view of the sessions and their refresh tokens.

    Locks are taken in PostgreSQL's order (a session, then its tokens), and
    `now` is the transaction's start, as `now()` is there.
    """

    def __init__(self, transaction: OpenTransaction) -> None:
        self._tx = transaction
        self._sessions = transaction.sessions
        self._tokens = transaction.refresh_tokens

    async def start(self, session: NewSession, *, refresh_token: bytes) -> Session | None:
        # The foreign key's KEY SHARE lock on the account, as InMemoryPostRepository.add takes.
        await self._tx.lock([("users.key", session.user_id)], mode="share")
        if self._tx.users.get(session.user_id) is None:
            return None
        now = self._tx.now
        stored = Session(
            id=session.id,
            user_id=session.user_id,
            created_at=now,
            last_used_at=now,
            expires_at=now + session.lifetime,
            user_agent=session.user_agent,
            client_network=session.client_network,
        )
        self._sessions.put(stored.id, stored)
        self._issue(refresh_token, stored.id)
        return stored

    async def rotate(self, spent: bytes, *, issued: bytes) -> Session | None:
        token = self._tokens.get(spent)
        if token is None:
            return None
        await self._tx.lock([("sessions", token.session_id)])
        await self._tx.lock([("refresh_tokens", spent)])
        token = self._tokens.get(spent)  # as it is now that the locks are held
        if token is None or token.spent_at is not None:
            return None
        session = self._sessions.get(token.session_id)
        if session is None or not session.is_live(self._tx.now):
            return None
        self._tokens.put(spent, replace(token, spent_at=self._tx.now))
        touched = replace(session, last_used_at=self._tx.now)
        self._sessions.put(touched.id, touched)
        self._issue(issued, touched.id)
        return touched

    async def spent_in(self, refresh_token: bytes) -> UUID | None:
        token = self._tokens.get(refresh_token)
        if token is None or token.spent_at is None:
            return None
        session = self._sessions.get(token.session_id)
        live = session is not None and session.is_live(self._tx.now)
        return token.session_id if live else None

    async def get(self, session_id: UUID) -> Session | None:
        return self._sessions.get(session_id)

    async def list_live(self, user_id: int) -> Sequence[Session]:
        live = [
            s for s in self._sessions.rows() if s.user_id == user_id and s.is_live(self._tx.now)
        ]
        live.sort(key=lambda s: s.id.int)
        live.sort(key=lambda s: (s.last_used_at, s.created_at), reverse=True)
        return live

    async def revoke(
        self, session_id: UUID, *, reason: RevocationReason, user_id: int | None = None
    ) -> bool:
        await self._tx.lock([("sessions", session_id)])
        session = self._sessions.get(session_id)
        if session is None or not session.is_live(self._tx.now):
            return False
        if user_id is not None and session.user_id != user_id:
            return False
        await self._end(session, reason)
        return True

    async def revoke_all(
        self, user_id: int, *, reason: RevocationReason, keep: UUID | None = None
    ) -> int:
        chosen = [s.id for s in self._sessions.rows() if s.user_id == user_id and s.id != keep]
        ended = 0
        for session_id in chosen:
            await self._tx.lock([("sessions", session_id)])
            session = self._sessions.get(session_id)
            if session is not None and session.is_live(self._tx.now):
                await self._end(session, reason)
                ended += 1
        return ended

    async def purge_ended(self) -> int:
        ended = [s.id for s in self._sessions.rows() if not s.is_live(self._tx.now)]
        for session_id in ended:
            await self._tx.lock([("sessions", session_id)])
            self._tx.delete("sessions", session_id)
        return len(ended)

    def _issue(self, digest: bytes, session_id: UUID) -> None:
        self._tokens.put(
            digest, RefreshToken(digest=digest, session_id=session_id, issued_at=self._tx.now)
        )

    async def _end(self, session: Session, reason: RevocationReason) -> None:
        """Revoke `session` (whose lock is held) and delete its tokens, as the CTE does."""
        self._sessions.put(
            session.id, replace(session, revoked_at=self._tx.now, revoked_reason=reason)
        )
        for token in [t for t in self._tokens.rows() if t.session_id == session.id]:
            await self._tx.lock([("refresh_tokens", token.digest)])
            self._tokens.remove(token.digest)
