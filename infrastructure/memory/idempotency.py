"""Idempotency keys kept in a dict, with PostgreSQL's rules."""

from domain.idempotency import IdempotencyKeyInUseError, IdempotencyRecord, NewIdempotencyRecord
from infrastructure.memory.store import Key
from infrastructure.memory.transaction import OpenTransaction


def _lock_key(scope: str, key: str) -> Key:
    return ("idempotency_keys", (scope, key))


class InMemoryIdempotencyKeyRepository:
    """One transaction's view of the idempotency keys.

    A claim is a lock that never waits, as `pg_try_advisory_xact_lock` is,
    and in a `read()` block it is let go at once, as PostgreSQL
    lets go of a transaction lock at the end of a statement run on its own.
    Writes lock the key too, as an insert into the primary key would.
    """

    def __init__(self, transaction: OpenTransaction) -> None:
        self._tx = transaction
        self._keys = transaction.idempotency_keys

    async def claim(self, scope: str, key: str) -> bool:
        return self._tx.store.try_lock(
            [_lock_key(scope, key)], self._tx.identity, hold=not self._tx.read_only
        )

    async def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        record = self._keys.get((scope, key))
        return None if record is None or self._expired(record) else record

    async def add(self, record: NewIdempotencyRecord) -> IdempotencyRecord:
        await self._tx.lock([_lock_key(record.scope, record.key)])
        if await self.get(record.scope, record.key) is not None:
            raise IdempotencyKeyInUseError
        stored = IdempotencyRecord(
            scope=record.scope,
            key=record.key,
            fingerprint=record.fingerprint,
            response=record.response,
            created=record.created,
            created_at=self._tx.now,
            expires_at=self._tx.now + record.lifetime,
        )
        self._keys.put((record.scope, record.key), stored)
        return stored

    async def purge_expired(self) -> int:
        purged = 0
        for record in [r for r in self._keys.rows() if self._expired(r)]:
            # As DELETE does: wait for a writer of the row, then look again.
            await self._tx.lock([_lock_key(record.scope, record.key)])
            current = self._keys.get((record.scope, record.key))
            if current is not None and self._expired(current):
                self._tx.delete("idempotency_keys", (record.scope, record.key))
                purged += 1
        return purged

    def _expired(self, record: IdempotencyRecord) -> bool:
        return record.expires_at <= self._tx.now
