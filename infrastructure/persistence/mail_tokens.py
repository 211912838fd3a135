"""Mailed single-use tokens, stored in PostgreSQL as digests.

Each operation is one statement, and expiry is decided by the database's
clock (`now()`), the one `expires_at` was computed with. Spending is a
conditional UPDATE: of two spends of one token at once, the second waits
for the first's row lock, then finds `used_at` set and spends nothing.
"""

from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.types import Interval

from domain.mail import MailToken, NewMailToken, TokenPurpose
from infrastructure.persistence.lease import Lease
from infrastructure.persistence.statements import Statement
from infrastructure.persistence.tables import mail_tokens, users

_LIVE: Final[ColumnElement[bool]] = and_(
    mail_tokens.c.digest == bindparam("digest", type_=mail_tokens.c.digest.type),
    mail_tokens.c.purpose == bindparam("purpose", type_=mail_tokens.c.purpose.type),
    mail_tokens.c.used_at.is_(None),
    mail_tokens.c.expires_at > func.now(),
)

# INSERT ... SELECT from the account: a deleted account inserts nothing (no row back),
# instead of raising the foreign key's error in the middle of the transaction.
_ISSUE: Final = Statement(
    insert(mail_tokens)
    .from_select(
        ["id", "digest", "user_id", "purpose", "email", "expires_at"],
        select(
            bindparam("id", type_=mail_tokens.c.id.type),
            bindparam("digest", type_=mail_tokens.c.digest.type),
            users.c.id,
            bindparam("purpose", type_=mail_tokens.c.purpose.type),
            bindparam("email", type_=mail_tokens.c.email.type),
            func.now() + bindparam("lifetime", type_=Interval()),
        ).where(users.c.id == bindparam("user_id")),
    )
    .returning(mail_tokens.c.id)
)
_FIND: Final = Statement(select(mail_tokens).where(_LIVE))
_SPEND: Final = Statement(
    update(mail_tokens).where(_LIVE).values(used_at=func.now()).returning(*mail_tokens.c)
)
_SPEND_ALL: Final = Statement(
    update(mail_tokens)
    .where(
        mail_tokens.c.user_id == bindparam("user_id"),
        mail_tokens.c.purpose == bindparam("purpose", type_=mail_tokens.c.purpose.type),
        mail_tokens.c.used_at.is_(None),
        mail_tokens.c.expires_at > func.now(),
    )
    .values(used_at=func.now())
)
_PURGE: Final = Statement(
    delete(mail_tokens).where(
        or_(mail_tokens.c.used_at.isnot(None), mail_tokens.c.expires_at <= func.now())
    )
)


def _to_token(values: Mapping[str, Any]) -> MailToken:
    return MailToken(
        id=values["id"],
        user_id=values["user_id"],
        purpose=TokenPurpose(values["purpose"]),
        email=values["email"],
        created_at=values["created_at"],
        expires_at=values["expires_at"],
        used_at=values["used_at"],
    )


class PostgresMailTokenRepository:
    def __init__(self, lease: Lease) -> None:
        self._lease = lease

    async def issue(self, token: NewMailToken) -> bool:
        values = {
            "id": token.id,
            "digest": token.digest,
            "user_id": token.user_id,
            "purpose": token.purpose.value,
            "email": token.email,
            "lifetime": token.lifetime,
        }
        return await _ISSUE.first(self._lease.connection, values) is not None

    async def find(self, digest: bytes, purpose: TokenPurpose) -> MailToken | None:
        values = {"digest": digest, "purpose": purpose.value}
        row = await _FIND.first(self._lease.connection, values)
        return None if row is None else _to_token(row)

    async def spend(self, digest: bytes, purpose: TokenPurpose) -> MailToken | None:
        values = {"digest": digest, "purpose": purpose.value}
        row = await _SPEND.first(self._lease.connection, values)
        return None if row is None else _to_token(row)

    async def spend_all(self, user_id: int, purpose: TokenPurpose) -> int:
        values = {"user_id": user_id, "purpose": purpose.value}
        return await _SPEND_ALL.rowcount(self._lease.connection, values)

    async def purge_ended(self) -> int:
        return await _PURGE.rowcount(self._lease.connection, {})
