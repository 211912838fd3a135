"""The use cases on the caller's sessions; each checks in its own statements that the caller's
session is live, as every route with a bearer token must, and records what it ended."""

from collections.abc import Sequence
from uuid import UUID

from application.auth import InvalidTokenError
from application.unit_of_work import Repositories, Transaction, UnitOfWork
from domain.audit import AuditKind, NewAuditEvent, Origin, session_target, user_target
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

    async def logout(self, caller: Caller, *, origin: Origin | None = None) -> None:
        """End the caller's session: its refresh token stops working, and so do its access
        tokens, on the next request they make."""
        session_id = _session_of(caller)
        reason = RevocationReason.LOGOUT
        async with self._uow.write() as tx:
            if not await tx.sessions.revoke(session_id, reason=reason, user_id=caller.user_id):
                raise InvalidTokenError
            await _revoked(tx, caller, session_target(session_id), reason.value, origin)
            await tx.commit()

    async def revoke_session(
        self, caller: Caller, session_id: UUID, *, origin: Origin | None = None
    ) -> None:
        """End one of the caller's sessions (the current one too, which is a logout).

        A session that is not the caller's, or has ended, is SessionNotFoundError alike.
        """
        reason = RevocationReason.REVOKED_BY_OWNER
        async with self._uow.write() as tx:
            await _require_live(tx, caller)
            if not await tx.sessions.revoke(session_id, reason=reason, user_id=caller.user_id):
                raise SessionNotFoundError
            await _revoked(tx, caller, session_target(session_id), reason.value, origin)
            await tx.commit()

    async def revoke_other_sessions(self, caller: Caller, *, origin: Origin | None = None) -> int:
        """End every session of the caller's but the current one; return how many ended."""
        reason = RevocationReason.REVOKED_BY_OWNER
        async with self._uow.write() as tx:
            await _require_live(tx, caller)
            ended = await tx.sessions.revoke_all(
                caller.user_id, reason=reason, keep=caller.session_id
            )
            if ended:
                detail = f"{reason.value}: {ended} other sessions"
                await _revoked(tx, caller, user_target(caller.user_id), detail, origin)
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


async def _revoked(
    tx: Transaction, caller: Caller, target: str, detail: str, origin: Origin | None
) -> None:
    event = NewAuditEvent(
        kind=AuditKind.SESSIONS_REVOKED,
        actor_id=caller.user_id,
        target=target,
        detail=detail,
        origin=origin or Origin(),
    )
    await tx.audit.record(event)
