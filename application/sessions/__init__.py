"""A caller's own sessions: listing them, and ending one, the others, or the current one."""

from application.sessions.service import SessionService

__all__ = ["SessionService"]
