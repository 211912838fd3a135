"""The audit trail: an append-only record of security and admin events."""

from domain.audit.entities import (
    AuditEvent,
    AuditFilter,
    AuditKind,
    NewAuditEvent,
    Origin,
    post_target,
    session_target,
    user_target,
)
from domain.audit.repository import AuditRepository

__all__ = [
    "AuditEvent",
    "AuditFilter",
    "AuditKind",
    "AuditRepository",
    "NewAuditEvent",
    "Origin",
    "post_target",
    "session_target",
    "user_target",
]
