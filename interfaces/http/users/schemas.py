"""The JSON shapes of /users.

The limits repeat the domain's rules so that a client gets every field's
problem at once, with its location; the domain still checks on its own.
"""

from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from domain.users.rules import (
    EMAIL_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    USERNAME_MAX_LENGTH,
    USERNAME_MIN_LENGTH,
    USERNAME_PATTERN,
    validate_password,
)
from interfaces.http.params import domain_rule

Email = Annotated[EmailStr, Field(max_length=EMAIL_MAX_LENGTH, examples=["ada@example.com"])]
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


class UserUpdate(BaseModel):
    """The fields to change; those left out stay as they are. None may be null."""

    model_config = ConfigDict(extra="forbid")

    email: Email | None = None
    username: Username | None = None
    password: Password | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        nulls = sorted(name for name in self.model_fields_set if getattr(self, name) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null; leave a field out to keep it")
        return self


class UserRead(BaseModel):
    """A user as clients see it: never the password or its hash."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    username: str
    created_at: datetime
    updated_at: datetime
