"""The outbox, stored in PostgreSQL: mail owed by committed changes, until delivered.

Senders in several processes share it. A claim is one statement: it picks
the due rows with `FOR UPDATE SKIP LOCKED` (a row another claim is taking
is passed over, not waited for) and moves their `due_at` past the lease in
the same UPDATE, so once it commits no other sender takes them until the
lease ends.
"""

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, Final
from uuid import UUID

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.types import Interval

from domain.mail import MailKind, NewMail, OutgoingMail
from infrastructure.persistence.lease import Lease
from infrastructure.persistence.statements import Statement
from infrastructure.persistence.tables import outbox, users

_OWED: Final = and_(outbox.c.sent_at.is_(None), outbox.c.failed_at.is_(None))
_ID: Final = bindparam("mail_id", type_=outbox.c.id.type)
_ERROR: Final = bindparam("error", type_=outbox.c.last_error.type)

_ADD: Final = Statement(
    insert(outbox)
    .from_select(
        ["id", "user_id", "kind", "recipient", "username", "token_id", "valid_for", "detail"],
        select(
            _ID,
            users.c.id,
            bindparam("kind", type_=outbox.c.kind.type),
            bindparam("recipient", type_=outbox.c.recipient.type),
            bindparam("username", type_=outbox.c.username.type),
            bindparam("token_id", type_=outbox.c.token_id.type),
            bindparam("valid_for", type_=Interval()),
            bindparam("detail", type_=outbox.c.detail.type),
        ).where(users.c.id == bindparam("user_id")),
    )
    .returning(outbox.c.id)
)

_DUE: Final = (
    select(outbox.c.id)
    .where(_OWED, outbox.c.due_at <= func.now())
    .order_by(outbox.c.due_at)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
    .cte("due")
)
_CLAIM: Final = Statement(
    update(outbox)
    .where(outbox.c.id == _DUE.c.id)
    .values(
        due_at=func.now() + bindparam("lease", type_=Interval()),
        attempts=outbox.c.attempts + 1,
    )
    .returning(*outbox.c)
)
_SENT: Final = Statement(update(outbox).where(outbox.c.id == _ID, _OWED).values(sent_at=func.now()))
_RETRY: Final = Statement(
    update(outbox)
    .where(outbox.c.id == _ID, _OWED)
    .values(due_at=func.now() + bindparam("after", type_=Interval()), last_error=_ERROR)
)
_GIVE_UP: Final = Statement(
    update(outbox).where(outbox.c.id == _ID, _OWED).values(failed_at=func.now(), last_error=_ERROR)
)
_ENDED_BEFORE: Final = func.now() - bindparam("older_than", type_=Interval())
_PURGE: Final = Statement(
    delete(outbox).where(or_(outbox.c.sent_at < _ENDED_BEFORE, outbox.c.failed_at < _ENDED_BEFORE))
)


def _to_mail(values: Mapping[str, Any]) -> OutgoingMail:
    return OutgoingMail(
        id=values["id"],
        user_id=values["user_id"],
        kind=MailKind(values["kind"]),
        recipient=values["recipient"],
        username=values["username"],
        token_id=values["token_id"],
        valid_for=values["valid_for"],
        detail=values["detail"],
        created_at=values["created_at"],
        attempts=values["attempts"],
        last_error=values["last_error"],
    )


class PostgresOutboxRepository:
    def __init__(self, lease: Lease) -> None:
        self._lease = lease

    async def add(self, mail: NewMail) -> bool:
        values = {
            "mail_id": mail.id,
            "user_id": mail.user_id,
            "kind": mail.kind.value,
            "recipient": mail.recipient,
            "username": mail.username,
            "token_id": mail.token_id,
            "valid_for": mail.valid_for,
            "detail": mail.detail,
        }
        return await _ADD.first(self._lease.connection, values) is not None

    async def claim(self, *, limit: int, lease: timedelta) -> Sequence[OutgoingMail]:
        rows = await _CLAIM.rows(self._lease.connection, {"limit": limit, "lease": lease})
        return sorted((_to_mail(row) for row in rows), key=lambda mail: mail.created_at)

    async def sent(self, mail_id: UUID) -> None:
        await _SENT.rowcount(self._lease.connection, {"mail_id": mail_id})

    async def retry(self, mail_id: UUID, *, after: timedelta, error: str) -> None:
        values = {"mail_id": mail_id, "after": after, "error": error}
        await _RETRY.rowcount(self._lease.connection, values)

    async def give_up(self, mail_id: UUID, *, error: str) -> None:
        await _GIVE_UP.rowcount(self._lease.connection, {"mail_id": mail_id, "error": error})

    async def purge_ended(self, *, older_than: timedelta) -> int:
        return await _PURGE.rowcount(self._lease.connection, {"older_than": older_than})
