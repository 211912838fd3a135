"""Idempotency keys stored in PostgreSQL, claimed with transaction-level advisory locks."""

import hashlib
from typing import Any, Final

from sqlalchemy import Interval, Row, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.idempotency import (
    IdempotencyKeyInUseError,
    IdempotencyRecord,
    NewIdempotencyRecord,
    StoredResponse,
)
from infrastructure.persistence.tables import idempotency_keys

_LOCK_NAMESPACE: Final = b"idempotency_keys\x00"


def advisory_lock_id(scope: str, key: str) -> int:
    """A signed 64-bit number for (scope, key), as `pg_try_advisory_xact_lock` takes.

    64 bits of a SHA-256 make two live keys sharing a lock (which would only
    answer one of them a needless 409) vanishingly unlikely; the namespace
    keeps them apart from any other use of advisory locks.
    """
    digest = hashlib.sha256(_LOCK_NAMESPACE + scope.encode() + b"\x00" + key.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _to_record(row: Row[Any]) -> IdempotencyRecord:
    values = row._mapping
    return IdempotencyRecord(
        scope=values["scope"],
        key=values["key"],
        fingerprint=values["fingerprint"],
        response=StoredResponse(
            status=values["status"],
            headers=tuple((name, value) for name, value in values["headers"]),
            body=bytes(values["body"]),
        ),
        created_at=values["created_at"],
        expires_at=values["expires_at"],
    )


class SqlAlchemyIdempotencyKeyRepository:
    """The idempotency_keys table, read and written through one transaction's connection.

    A claim is `pg_try_advisory_xact_lock`: it answers at once, holds across
    every worker and replica on the database, ends with the transaction
    (so a crashed request frees its key), and works through PgBouncer's
    transaction pooling, which session-level locks would not. The look-up
    that follows a claim relies on READ COMMITTED, the engine's level: each
    statement sees the latest commit, so a key whose holder committed just
    before the claim succeeded is found.
    """

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def claim(self, scope: str, key: str) -> bool:
        claimed = await self._connection.scalar(
            select(func.pg_try_advisory_xact_lock(advisory_lock_id(scope, key)))
        )
        return bool(claimed)

    async def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        row = (
            await self._connection.execute(
                select(idempotency_keys).where(
                    idempotency_keys.c.scope == scope,
                    idempotency_keys.c.key == key,
                    idempotency_keys.c.expires_at > func.now(),
                )
            )
        ).one_or_none()
        return None if row is None else _to_record(row)

    async def add(self, record: NewIdempotencyRecord) -> IdempotencyRecord:
        response = record.response
        values = {
            "fingerprint": record.fingerprint,
            "status": response.status,
            "headers": [list(pair) for pair in response.headers],
            "body": response.body,
            "created_at": func.now(),
            "expires_at": func.now() + bindparam("lifetime", record.lifetime, type_=Interval()),
        }
        inserting = insert(idempotency_keys).values(scope=record.scope, key=record.key, **values)
        # An expired record with this key is replaced in place: the lazy half of the purge.
        statement = inserting.on_conflict_do_update(
            index_elements=[idempotency_keys.c.scope, idempotency_keys.c.key],
            set_={name: getattr(inserting.excluded, name) for name in values},
            where=idempotency_keys.c.expires_at <= func.now(),
        ).returning(*idempotency_keys.c)
        row = (await self._connection.execute(statement)).one_or_none()
        if row is None:
            raise IdempotencyKeyInUseError
        return _to_record(row)

    async def purge_expired(self) -> int:
        result = await self._connection.execute(
            delete(idempotency_keys).where(idempotency_keys.c.expires_at <= func.now())
        )
        return result.rowcount
