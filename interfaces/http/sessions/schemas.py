"""The JSON shape of a session, as its owner sees it in their list."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.sessions import Session


class SessionRead(BaseModel):
    """A live session; nothing in it is a secret (no token, no full address)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0d1f3c8e-6a0b-4b7e-9a51-2f4c1e8d7b90",
                    "created_at": "2026-12-01T09:30:00Z",
                    "last_used_at": "2026-12-02T08:15:00Z",
                    "expires_at": "2026-12-31T09:30:00Z",
                    "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
                    "client_network": "203.0.113.0/24",
                    "current": True,
                }
            ]
        }
    )

    id: UUID
    created_at: datetime
    """The login that started it."""
    last_used_at: datetime
    """The login, or its last refresh."""
    expires_at: datetime
    user_agent: str = Field(description="What the client said it was, trimmed.")
    client_network: str = Field(
        description="The network the login came from: a /24, or an IPv6 /48; empty if unknown."
    )
    current: bool = Field(description="Whether this is the session of the request's token.")

    @classmethod
    def of(cls, session: Session, *, current: bool) -> "SessionRead":
        return cls(
            id=session.id,
            created_at=session.created_at,
            last_used_at=session.last_used_at,
            expires_at=session.expires_at,
            user_agent=session.user_agent,
            client_network=session.client_network,
            current=current,
        )
