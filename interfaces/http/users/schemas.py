"""The JSON shapes of /users.

The limits repeat the domain's rules so that a client gets every field's
problem at once, with its location; the domain still checks on its own.
"""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from domain.users.rules import (
    EMAIL_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    USERNAME_MAX_LENGTH,
    USERNAME_MIN_LENGTH,
    USERNAME_PATTERN,
    normalize_email,
    validate_password,
)
from interfaces.http.params import PartialUpdate, domain_rule

# The domain's normalisation, not pydantic's EmailStr: logging in goes through the same
# function, so an address registered here can always log in as it was typed.
Email = Annotated[
    str,
    Field(
        max_length=EMAIL_MAX_LENGTH,
        examples=["ada@example.com"],
        json_schema_extra={"format": "email"},
    ),
    domain_rule(normalize_email),
]
Username = Annotated[
    str,
    Field(
        min_length=USERNAME_MIN_LENGTH,
        max_length=USERNAME_MAX_LENGTH,
        pattern=USERNAME_PATTERN,
        examples=["ada.lovelace"],
    ),
]
Password = Annotated[
    str,
    Field(
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        examples=["correct horse battery staple"],
    ),
    domain_rule(validate_password),
]


class UserCreate(BaseModel):
    """Registration input. Unknown fields are refused, so no client can set an id."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    username: Username
    password: Password


class UserUpdate(PartialUpdate):
    """The fields to change."""

    # Null is refused (see PartialUpdate), so the document does not offer it.
    email: Email | SkipJsonSchema[None] = None
    username: Username | SkipJsonSchema[None] = None
    password: Password | SkipJsonSchema[None] = None


class UserRead(BaseModel):
    """A user as clients see it: never the password or its hash."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "email": "ada@example.com",
                    "username": "ada.lovelace",
                    "created_at": "2026-11-24T18:40:55.103980Z",
                    "updated_at": "2026-11-24T18:40:55.103980Z",
                }
            ]
        },
    )

    id: int
    email: str
    username: str
    created_at: datetime
    updated_at: datetime
