"""The JSON shapes of /users.

The limits repeat the domain's rules so that a client gets every field's
problem at once, with its location; the domain still checks on its own.

A user has two views: `UserPublic`, what anyone may read, and `UserPrivate`,
what only the account itself gets (from `/users/me`, its own changes and its
registration). Each has its own ETag (`User.public_revision`, `User.revision`).
"""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from domain.users import Role
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
# What a mailed link's fragment carries (`#token=...`); any other string is the same 400 as a
# spent token, so the length bound only keeps the body small.
MailToken = Annotated[
    str, Field(max_length=1024, examples=["-kImP0Sp4jPNNaL-yN_mc1e8UK4yHK6VTnuXkYu4rWA"])
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
    """The fields to change; `current_password` too when the email or the password changes."""

    # Null is refused (see PartialUpdate), so the document does not offer it.
    email: Email | SkipJsonSchema[None] = None
    username: Username | SkipJsonSchema[None] = None
    password: Password | SkipJsonSchema[None] = None
    # Declared after the fields it depends on: a validator sees only those before it.
    current_password: (
        Annotated[
            str,
            Field(
                min_length=1,
                max_length=PASSWORD_MAX_LENGTH,
                description="The account's password now; required to change "
                "the email or the password.",
            ),
        ]
        | SkipJsonSchema[None]
    ) = Field(default=None, validate_default=True)

    @field_validator("current_password")
    @classmethod
    def _required_for_credentials(cls, value: str | None, info: ValidationInfo) -> str | None:
        changes = [name for name in ("email", "password") if info.data.get(name) is not None]
        if value is None and changes:
            raise PydanticCustomError(
                "missing",
                "Field required to change the {changes}",
                {"changes": " and the ".join(changes)},
            )
        return value


class UserPublic(BaseModel):
    """A user as anyone may see them: no email, nothing that tells when the account changed.

    `updated_at` is left out as well: it moves when the password or the email
    does. Embedded post authors show a part of this view (`AuthorPublic`).
    """

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {"id": 1, "username": "ada.lovelace", "created_at": "2026-11-24T18:40:55.103980Z"}
            ]
        },
    )

    id: int
    username: str
    created_at: datetime


class UserPrivate(UserPublic):
    """The account as its owner sees it: the public view, the email, the role and the last
    change.

    Never the password or its hash.
    """

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "username": "ada.lovelace",
                    "created_at": "2026-11-24T18:40:55.103980Z",
                    "email": "ada@example.com",
                    "updated_at": "2026-11-24T18:40:55.103980Z",
                    "role": "member",
                    "email_verified": True,
                    "pending_email": None,
                }
            ]
        },
    )

    email: str
    updated_at: datetime
    role: Role = Field(description="`member`, or `admin` (given from the command line).")
    email_verified: bool = Field(
        description="Whether a link mailed to `email` was used: the owner reads that mailbox."
    )
    pending_email: str | None = Field(
        description="The address a change of `email` asked for, until the link mailed there "
        "is used; `email` stays the account's until then."
    )


class Accepted(BaseModel):
    """A 202: the request is taken, and what it asked for happens next (a mail goes out)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"detail": "A new link is on its way"}]}
    )

    detail: str


class VerifyEmail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: MailToken


class PasswordResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email


class PasswordResetConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: MailToken
    new_password: Password
