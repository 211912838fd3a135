"""The port through which use cases append to the audit trail and read it."""

from collections.abc import Sequence
from typing import Protocol

from domain.audit.entities import AuditEvent, AuditFilter, NewAuditEvent


class AuditRepository(Protocol):
    """Append-only: events are recorded in the transaction of the change they describe, so
    that neither is kept without the other, and never changed or deleted afterwards."""

    async def record(self, event: NewAuditEvent) -> None:
        """Append the event, stamped with the transaction's time; over-long text is cut."""
        ...

    async def list(
        self,
        where: AuditFilter,
        *,
        limit: int,
        after: int | None = None,
        before: int | None = None,
    ) -> Sequence[AuditEvent]:
        """The events `where` keeps, newest first (by id): `after` an id, the older ones;
        `before` it, the newer ones, still newest first."""
        ...
