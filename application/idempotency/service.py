"""The upkeep of stored idempotency keys."""

from application.unit_of_work import UnitOfWork


class IdempotencyKeyService:
    """Use cases about the keys themselves, for operators rather than clients."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def purge_expired_keys(self) -> int:
        """Delete the keys past their lifetime and return how many went.

        Expired keys are already ignored by replays, and overwritten when
        their key is used again; purging only reclaims their space.
        """
        async with self._uow.write() as tx:
            purged = await tx.idempotency_keys.purge_expired()
            await tx.commit()
        return purged
