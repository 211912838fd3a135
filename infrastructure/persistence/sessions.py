"""Sessions and their refresh tokens' digests, stored in PostgreSQL.

Each change is one statement of data-modifying CTEs: starting a session with
its first token, rotating a token (spend it, touch the session, issue the
next; after locking the session), revoking sessions and deleting their tokens.
Expiry is decided by the database's clock (`now()`), the one `expires_at` was
computed with.
"""

from collections.abc import Mapping, Sequence
from typing import Any, Final
from uuid import UUID

from sqlalchemy import CTE, ColumnElement, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.types import Interval

from domain.sessions import NewSession, RevocationReason, Session
from infrastructure.persistence.lease import Lease
from infrastructure.persistence.statements import Statement
from infrastructure.persistence.tables import refresh_tokens, sessions, users

LIVE: Final[ColumnElement[bool]] = and_(
    sessions.c.revoked_at.is_(None), sessions.c.expires_at > func.now()
)
"""A session that is neither revoked nor expired; what every use of a token requires."""

_SESSION_ID: Final = bindparam("session_id", type_=sessions.c.id.type)

_STARTED: Final = (
    insert(sessions)
    .from_select(
        ["id", "user_id", "expires_at", "user_agent", "client_network"],
        select(
            _SESSION_ID,
            users.c.id,
            func.now() + bindparam("lifetime", type_=Interval()),
            bindparam("user_agent", type_=sessions.c.user_agent.type),
            bindparam("client_network", type_=sessions.c.client_network.type),
        ).where(users.c.id == bindparam("user_id")),
    )
    .returning(*sessions.c)
    .cte("started")
)


def _with_token(session: CTE, digest: str) -> Statement:
    """The session the CTE `session` writes, once a refresh token (`digest`) is stored in it:
    no row when the CTE wrote none, and then no token either."""
    token = (
        insert(refresh_tokens)
        .from_select(
            ["digest", "session_id"],
            select(bindparam(digest, type_=refresh_tokens.c.digest.type), session.c.id),
        )
        .returning(refresh_tokens.c.session_id)
        .cte(f"{session.name}_token")
    )
    return Statement(select(session).join_from(session, token, token.c.session_id == session.c.id))


_START: Final = _with_token(_STARTED, "digest")

# Rotating locks the token's session first, as revoking it and deleting its account do
# (session, then its tokens): taken the other way round, a rotation and a revocation at
# once could each hold the lock the other waits for.
_LOCK_SESSION_OF: Final = Statement(
    select(sessions.c.id)
    .join_from(refresh_tokens, sessions, sessions.c.id == refresh_tokens.c.session_id)
    .where(refresh_tokens.c.digest == bindparam("spent"))
    .with_for_update(of=sessions)
)
# Then spending is the conditional UPDATE: of two rotations of one token, the second waits for
# the first's row lock, then finds spent_at set and spends nothing.
_SPENT: Final = (
    update(refresh_tokens)
    .where(refresh_tokens.c.digest == bindparam("spent"), refresh_tokens.c.spent_at.is_(None))
    .values(spent_at=func.now())
    .returning(refresh_tokens.c.session_id)
    .cte("spent")
)
_TOUCHED: Final = (
    update(sessions)
    .where(sessions.c.id == _SPENT.c.session_id, LIVE)
    .values(last_used_at=func.now())
    .returning(*sessions.c)
    .cte("touched")
)
_ROTATE: Final = _with_token(_TOUCHED, "issued")

_SPENT_IN: Final = Statement(
    select(sessions.c.id)
    .join_from(refresh_tokens, sessions, sessions.c.id == refresh_tokens.c.session_id)
    .where(
        refresh_tokens.c.digest == bindparam("digest"),
        refresh_tokens.c.spent_at.isnot(None),
        LIVE,
    )
)
_GET: Final = Statement(select(sessions).where(sessions.c.id == _SESSION_ID))
_LIST_LIVE: Final = Statement(
    select(sessions)
    .where(sessions.c.user_id == bindparam("user_id"), LIVE)
    .order_by(sessions.c.last_used_at.desc(), sessions.c.created_at.desc(), sessions.c.id)
)


def _revoking(*which: ColumnElement[bool]) -> Statement:
    """End the live sessions `which` selects and delete their tokens; count them."""
    revoked = (
        update(sessions)
        .where(LIVE, *which)
        .values(
            revoked_at=func.now(),
            revoked_reason=bindparam("reason", type_=sessions.c.revoked_reason.type),
        )
        .returning(sessions.c.id)
        .cte("revoked")
    )
    forgotten = delete(refresh_tokens).where(refresh_tokens.c.session_id == revoked.c.id)
    # add_cte: SQLAlchemy renders only the CTEs a query names; PostgreSQL runs every
    # data-modifying one to completion, read or not.
    return Statement(select(func.count()).select_from(revoked).add_cte(forgotten.cte("forgotten")))


_REVOKE: Final = _revoking(sessions.c.id == _SESSION_ID)
_REVOKE_OWN: Final = _revoking(
    sessions.c.id == _SESSION_ID, sessions.c.user_id == bindparam("user_id")
)
_REVOKE_ALL: Final = _revoking(
    sessions.c.user_id == bindparam("user_id"),
    sessions.c.id.is_distinct_from(bindparam("keep", type_=sessions.c.id.type)),
)
_PURGE: Final = Statement(
    delete(sessions).where(
        sessions.c.revoked_at.isnot(None) | (sessions.c.expires_at <= func.now())
    )
)


def _to_session(values: Mapping[str, Any]) -> Session:
    reason = values["revoked_reason"]
    return Session(
        id=values["id"],
        user_id=values["user_id"],
        created_at=values["created_at"],
        last_used_at=values["last_used_at"],
        expires_at=values["expires_at"],
        user_agent=values["user_agent"],
        client_network=values["client_network"],
        revoked_at=values["revoked_at"],
        revoked_reason=None if reason is None else RevocationReason(reason),
    )


class PostgresSessionRepository:
    """The sessions and refresh_tokens tables, through one unit of work's connection."""

    def __init__(self, lease: Lease) -> None:
        self._lease = lease

    async def start(self, session: NewSession, *, refresh_token: bytes) -> Session | None:
        values = {
            "session_id": session.id,
            "user_id": session.user_id,
            "lifetime": session.lifetime,
            "user_agent": session.user_agent,
            "client_network": session.client_network,
            "digest": refresh_token,
        }
        row = await _START.first(self._lease.connection, values)
        return None if row is None else _to_session(row)

    async def rotate(self, spent: bytes, *, issued: bytes) -> Session | None:
        connection = self._lease.connection
        if await _LOCK_SESSION_OF.scalar(connection, {"spent": spent}) is None:
            return None
        row = await _ROTATE.first(connection, {"spent": spent, "issued": issued})
        return None if row is None else _to_session(row)

    async def spent_in(self, refresh_token: bytes) -> UUID | None:
        found: UUID | None = await _SPENT_IN.scalar(
            self._lease.connection, {"digest": refresh_token}
        )
        return found

    async def get(self, session_id: UUID) -> Session | None:
        row = await _GET.first(self._lease.connection, {"session_id": session_id})
        return None if row is None else _to_session(row)

    async def list_live(self, user_id: int) -> Sequence[Session]:
        rows = await _LIST_LIVE.rows(self._lease.connection, {"user_id": user_id})
        return [_to_session(row) for row in rows]

    async def revoke(
        self, session_id: UUID, *, reason: RevocationReason, user_id: int | None = None
    ) -> bool:
        values: dict[str, Any] = {"session_id": session_id, "reason": reason.value}
        statement = _REVOKE
        if user_id is not None:
            statement, values["user_id"] = _REVOKE_OWN, user_id
        return bool(await statement.scalar(self._lease.connection, values))

    async def revoke_all(
        self, user_id: int, *, reason: RevocationReason, keep: UUID | None = None
    ) -> int:
        values = {"user_id": user_id, "reason": reason.value, "keep": keep}
        revoked: int = await _REVOKE_ALL.scalar(self._lease.connection, values)
        return revoked

    async def purge_ended(self) -> int:
        return await _PURGE.rowcount(self._lease.connection, {})
