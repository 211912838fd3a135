"""Sessions: one per login, which a refresh token keeps alive and revocation ends at once."""

from domain.sessions.entities import Caller, NewSession, RevocationReason, Session
from domain.sessions.errors import SessionNotFoundError
from domain.sessions.repository import SessionRepository
from domain.sessions.rules import CLIENT_NETWORK_MAX_LENGTH, USER_AGENT_MAX_LENGTH, trim_user_agent

__all__ = [
    "CLIENT_NETWORK_MAX_LENGTH",
    "USER_AGENT_MAX_LENGTH",
    "Caller",
    "NewSession",
    "RevocationReason",
    "Session",
    "SessionNotFoundError",
    "SessionRepository",
    "trim_user_agent",
]
