"""The audit trail kept in a dict, numbered and stamped as PostgreSQL does."""

from collections.abc import Sequence

from domain.audit import AuditEvent, AuditFilter, NewAuditEvent
from domain.audit.entities import DETAIL_MAX_LENGTH, REQUEST_ID_MAX_LENGTH, TARGET_MAX_LENGTH
from domain.sessions import CLIENT_NETWORK_MAX_LENGTH
from infrastructure.memory.transaction import OpenTransaction


class InMemoryAuditRepository:
    """One transaction's view of the trail: its events publish with its commit, or never."""

    def __init__(self, transaction: OpenTransaction) -> None:
        self._tx = transaction
        self._events = transaction.audit_events

    async def record(self, event: NewAuditEvent) -> None:
        event_id = next(self._tx.store.audit_event_ids)
        self._events.put(
            event_id,
            AuditEvent(
                id=event_id,
                at=self._tx.now,
                kind=event.kind,
                actor_id=event.actor_id,
                target=event.target[:TARGET_MAX_LENGTH],
                detail=event.detail[:DETAIL_MAX_LENGTH],
                request_id=event.origin.request_id[:REQUEST_ID_MAX_LENGTH],
                client_network=event.origin.client_network[:CLIENT_NETWORK_MAX_LENGTH],
            ),
        )

    async def list(
        self,
        where: AuditFilter,
        *,
        limit: int,
        after: int | None = None,
        before: int | None = None,
    ) -> Sequence[AuditEvent]:
        newest_first = sorted(
            (e for e in self._events.rows() if _matches(e, where)), key=lambda e: -e.id
        )
        if before is not None:
            return [e for e in newest_first if e.id > before][-limit:] if limit else []
        if after is not None:
            newest_first = [e for e in newest_first if e.id < after]
        return newest_first[:limit]


def _matches(event: AuditEvent, where: AuditFilter) -> bool:
    return (
        (where.actor_id is None or event.actor_id == where.actor_id)
        and (where.target is None or event.target == where.target)
        and (where.kind is None or event.kind is where.kind)
    )
