"""The JSON shapes of /admin: an account with everything an admin may see, and what they change."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from domain.audit import AuditKind
from domain.users import Role
from interfaces.http.params import PartialUpdate
from interfaces.http.users.schemas import UserPrivate


class UserAdminView(UserPrivate):
    """The private view, and whether the account is active. Never the password's hash."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "username": "spammer",
                    "created_at": "2026-11-24T18:40:55.103980Z",
                    "email": "spam@example.com",
                    "updated_at": "2026-12-02T09:00:00.000000Z",
                    "role": "member",
                    "active": False,
                }
            ]
        },
    )

    active: bool = Field(
        description="False: logins refused, no session, posts hidden, until set true again."
    )


class AccountChangeBody(PartialUpdate):
    """The fields to change; at least one. Unknown fields, and null, are refused."""

    role: Role | SkipJsonSchema[None] = None
    active: bool | SkipJsonSchema[None] = None


class AuditEventRead(BaseModel):
    """One event of the audit trail."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 812,
                    "at": "2026-12-02T09:00:00.000000Z",
                    "kind": "post-removed",
                    "actor_id": 1,
                    "target": "post:42",
                    "detail": "user:7: spam",
                    "request_id": "4f6c1b2a9d3e4c5f8a7b6c5d4e3f2a1b",
                    "client_network": "203.0.113.0/24",
                }
            ]
        },
    )

    id: int
    at: datetime
    kind: AuditKind
    actor_id: int | None = Field(description="Who did it; null: the command line, or nobody known.")
    target: str = Field(description="What it was done to: `user:7`, `post:42`, `session:<id>`.")
    detail: str
    request_id: str = Field(description="The X-Request-ID of the request, as in the logs.")
    client_network: str = Field(description="The client's network: a /24, or an IPv6 /48.")
