"""Idempotency keys stored in PostgreSQL, claimed with transaction-level advisory locks."""

import hashlib
from collections.abc import Mapping
from typing import Any, Final

from psycopg.types.json import Jsonb
from sqlalchemy import BigInteger, Interval, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert

from domain.idempotency import (
    CreatedResource,
    IdempotencyKeyInUseError,
    IdempotencyRecord,
    NewIdempotencyRecord,
    StoredResponse,
)
from infrastructure.persistence.lease import Lease
from infrastructure.persistence.statements import Statement
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


_CLAIM: Final = Statement(
    select(func.pg_try_advisory_xact_lock(bindparam("lock_id", type_=BigInteger())))
)
_GET: Final = Statement(
    select(idempotency_keys).where(
        idempotency_keys.c.scope == bindparam("scope"),
        idempotency_keys.c.key == bindparam("key"),
        idempotency_keys.c.expires_at > func.now(),
    )
)
_STORED: Final = {
    "fingerprint": bindparam("fingerprint", type_=idempotency_keys.c.fingerprint.type),
    "status": bindparam("status", type_=idempotency_keys.c.status.type),
    "headers": bindparam("headers", type_=idempotency_keys.c.headers.type),
    "body": bindparam("body", type_=idempotency_keys.c.body.type),
    "user_id": bindparam("user_id", type_=BigInteger()),
    "post_id": bindparam("post_id", type_=BigInteger()),
    "created_at": func.now(),
    "expires_at": func.now() + bindparam("lifetime", type_=Interval()),
}
_INSERTING: Final = insert(idempotency_keys).values(
    scope=bindparam("scope", type_=idempotency_keys.c.scope.type),
    key=bindparam("key", type_=idempotency_keys.c.key.type),
    **_STORED,
)
# An expired record with this key is replaced in place: the lazy half of the purge.
_ADD: Final = Statement(
    _INSERTING.on_conflict_do_update(
        index_elements=[idempotency_keys.c.scope, idempotency_keys.c.key],
        set_={name: getattr(_INSERTING.excluded, name) for name in _STORED},
        where=idempotency_keys.c.expires_at <= func.now(),
    ).returning(*idempotency_keys.c)
)
_PURGE: Final = Statement(
    delete(idempotency_keys).where(idempotency_keys.c.expires_at <= func.now())
)


def _to_record(values: Mapping[str, Any]) -> IdempotencyRecord:
    return IdempotencyRecord(
        scope=values["scope"],
        key=values["key"],
        fingerprint=values["fingerprint"],
        response=StoredResponse(
            status=values["status"],
            headers=tuple((name, value) for name, value in values["headers"]),
            body=bytes(values["body"]),
        ),
        created=(
            CreatedResource("user", values["user_id"])
            if values["user_id"] is not None
            else CreatedResource("post", values["post_id"])
        ),
        created_at=values["created_at"],
        expires_at=values["expires_at"],
    )


class PostgresIdempotencyKeyRepository:
    """The idempotency_keys table, read and written through one transaction's connection.

    A claim is `pg_try_advisory_xact_lock`: it answers at once, holds across
    every worker and replica on the database, ends with the transaction
    (so a crashed request frees its key), and works through PgBouncer's
    transaction pooling, which session-level locks would not. The look-up
    that follows a claim relies on READ COMMITTED, the pool connections' level: each
    statement sees the latest commit, so a key whose holder committed just
    before the claim succeeded is found. A record points to what it created
    (`user_id` or `post_id`) with ON DELETE CASCADE: the database deletes it
    with them, in the deleting statement.
    """

    def __init__(self, lease: Lease) -> None:
        self._lease = lease

    async def claim(self, scope: str, key: str) -> bool:
        lock_id = advisory_lock_id(scope, key)
        return bool(await _CLAIM.scalar(self._lease.connection, {"lock_id": lock_id}))

    async def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        row = await _GET.first(self._lease.connection, {"scope": scope, "key": key})
        return None if row is None else _to_record(row)

    async def add(self, record: NewIdempotencyRecord) -> IdempotencyRecord:
        response = record.response
        values = {
            "scope": record.scope,
            "key": record.key,
            "fingerprint": record.fingerprint,
            "status": response.status,
            # psycopg would send a list as an array: JSONB is the one type wrapped by hand.
            "headers": Jsonb([list(pair) for pair in response.headers]),
            "body": response.body,
            "user_id": record.created.id if record.created.kind == "user" else None,
            "post_id": record.created.id if record.created.kind == "post" else None,
            "lifetime": record.lifetime,
        }
        row = await _ADD.first(self._lease.connection, values)
        if row is None:
            raise IdempotencyKeyInUseError
        return _to_record(row)

    async def purge_expired(self) -> int:
        return await _PURGE.rowcount(self._lease.connection, {})
