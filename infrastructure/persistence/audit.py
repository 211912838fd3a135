"""The audit trail in PostgreSQL: one INSERT per event, in the caller's transaction."""

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, Final

from sqlalchemy import bindparam, insert, select

from domain.audit import AuditEvent, AuditFilter, AuditKind, NewAuditEvent
from domain.audit.entities import DETAIL_MAX_LENGTH, REQUEST_ID_MAX_LENGTH, TARGET_MAX_LENGTH
from domain.sessions import CLIENT_NETWORK_MAX_LENGTH
from infrastructure.persistence.lease import Lease
from infrastructure.persistence.statements import Statement
from infrastructure.persistence.tables import audit_events

_RECORD: Final = Statement(
    insert(audit_events).values(
        {
            column: bindparam(column.name, type_=column.type)
            for column in audit_events.c
            if column.name not in ("id", "at")
        }
    )
)


@cache
def _page(*, actor: bool, target: bool, kind: bool, after: bool, before: bool) -> Statement:
    """One statement per combination of filters and kind of page, compiled on first use."""
    statement = select(audit_events)
    if actor:
        statement = statement.where(audit_events.c.actor_id == bindparam("actor_id"))
    if target:
        statement = statement.where(
            audit_events.c.target == bindparam("target", type_=audit_events.c.target.type)
        )
    if kind:
        statement = statement.where(
            audit_events.c.kind == bindparam("kind", type_=audit_events.c.kind.type)
        )
    if before:
        # The page just before the key (newer events): read upwards, then turn around.
        statement = statement.where(audit_events.c.id > bindparam("key"))
        statement = statement.order_by(audit_events.c.id)
    else:
        if after:
            statement = statement.where(audit_events.c.id < bindparam("key"))
        statement = statement.order_by(audit_events.c.id.desc())
    return Statement(statement.limit(bindparam("limit")))


def _to_event(values: Mapping[str, Any]) -> AuditEvent:
    return AuditEvent(
        id=values["id"],
        at=values["at"],
        kind=AuditKind(values["kind"]),
        actor_id=values["actor_id"],
        target=values["target"],
        detail=values["detail"],
        request_id=values["request_id"],
        client_network=values["client_network"],
    )


class PostgresAuditRepository:
    def __init__(self, lease: Lease) -> None:
        self._lease = lease

    async def record(self, event: NewAuditEvent) -> None:
        values = {
            "kind": event.kind.value,
            "actor_id": event.actor_id,
            "target": event.target[:TARGET_MAX_LENGTH],
            "detail": event.detail[:DETAIL_MAX_LENGTH],
            "request_id": event.origin.request_id[:REQUEST_ID_MAX_LENGTH],
            "client_network": event.origin.client_network[:CLIENT_NETWORK_MAX_LENGTH],
        }
        await _RECORD.rowcount(self._lease.connection, values)

    async def list(
        self,
        where: AuditFilter,
        *,
        limit: int,
        after: int | None = None,
        before: int | None = None,
    ) -> Sequence[AuditEvent]:
        statement = _page(
            actor=where.actor_id is not None,
            target=where.target is not None,
            kind=where.kind is not None,
            after=after is not None,
            before=before is not None,
        )
        values = {
            "actor_id": where.actor_id,
            "target": where.target,
            "kind": None if where.kind is None else where.kind.value,
            "key": before if before is not None else after,
            "limit": limit,
        }
        rows = await statement.rows(self._lease.connection, values)
        found = [_to_event(row) for row in rows]
        return found[::-1] if before is not None else found
