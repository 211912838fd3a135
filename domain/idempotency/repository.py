"""The port through which use cases keep and find idempotency keys."""

from typing import Protocol

from domain.idempotency.entities import IdempotencyRecord, NewIdempotencyRecord


class IdempotencyKeyRepository(Protocol):
    """Stored keys with their answers; implementations never commit.

    A key is claimed before it is looked up and stored, so that two requests
    with one key never both do the work: the second learns at once that the
    first is in flight, in any process, instead of waiting for it.

    A record lives no longer than what it created: deleting a user (and with
    it their posts) or a post deletes the records naming them, in the
    deleting transaction, whichever repository does the deleting.
    """

    async def claim(self, scope: str, key: str) -> bool:
        """Hold the key until this transaction ends; False, without waiting, if another holds it.

        In a block opened with `read()` there is no transaction to
        hold it for: the claim is let go at once, so it only tells whether
        another transaction holds the key. Claiming again in the same
        transaction succeeds.
        """
        ...

    async def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        """Return the key's record, or None when there is none or it has expired."""
        ...

    async def add(self, record: NewIdempotencyRecord) -> IdempotencyRecord:
        """Store the record, replacing an expired one with the same scope and key.

        Raises IdempotencyKeyInUseError when the key has a record that has
        not expired, which a caller holding the claim never meets.
        """
        ...

    async def purge_expired(self) -> int:
        """Delete every expired record and return how many there were."""
        ...
