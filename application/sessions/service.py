"""The use cases on the caller's sessions; each checks in its own statements that the caller's
session is live, as every route with a bearer token must."""

from collections.abc import Sequence
from uuid import UUID

from application.auth import InvalidTokenError
from application.unit_of_work import Repositories, UnitOfWork
from domain.sessions import Caller, RevocationReason, Session, SessionNotFoundError


class SessionService:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def list_sessions(self, caller: Caller) -> Sequence[Session]:
        """The caller's live sessions, the most recently used first; the caller's own among them.

        One statement: a caller whose session is not in the list has none.
        """
        session_id = _session_of(caller)
        async with self._uow.read() as repos:
            sessions = await repos.sessions.list_live(caller.user_id)
        if all(session.id != session_id for session in sessions):
            raise InvalidTokenError
        return sessions

    async def logout(self, caller: Caller) -> None:
        """End the caller's session: its refresh token stops working, and so do its access
        tokens, on the next request they make."""
        session_id = _session_of(caller)
        async with self._uow.write() as tx:
            revoked = await tx.sessions.revoke(
                session_id, reason=RevocationReason.LOGOUT, user_id=caller.user_id
            )
            if not revoked:
                raise InvalidTokenError
            await tx.commit()

    async def revoke_session(self, caller: Caller, session_id: UUID) -> None:
        """End one of the caller's sessions (the current one too, which is a logout).

        A session that is not the caller's, or has ended, is SessionNotFoundError alike.
        """
        async with self._uow.write() as tx:
            await _require_live(tx, caller)
            revoked = await tx.sessions.revoke(
                session_id, reason=RevocationReason.REVOKED_BY_OWNER, user_id=caller.user_id
            )
            if not revoked:
                raise SessionNotFoundError
            await tx.commit()

    async def revoke_other_sessions(self, caller: Caller) -> int:
        """End every session of the caller's but the current one; return how many ended."""
        async with self._uow.write() as tx:
            await _require_live(tx, caller)
            ended = await tx.sessions.revoke_all(
                caller.user_id, reason=RevocationReason.REVOKED_BY_OWNER, keep=caller.session_id
            )
            await tx.commit()
        return ended

    async def purge_ended_sessions(self) -> int:
        """Delete the sessions that were revoked or have expired, and their refresh tokens."""
        async with self._uow.write() as tx:
            purged = await tx.sessions.purge_ended()
            await tx.commit()
        return purged


def _session_of(caller: Caller) -> UUID:
    if caller.session_id is None:
        raise InvalidTokenError
    return caller.session_id


async def _require_live(repos: Repositories, caller: Caller) -> None:
    if await repos.users.get_signed_in(caller.user_id, _session_of(caller)) is None:
        raise InvalidTokenError
