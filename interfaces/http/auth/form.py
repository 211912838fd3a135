"""The login form: what the OAuth2 password flow sends, and only what this API reads.

FastAPI's `OAuth2PasswordRequestForm` also declares `scope`, `client_id` and
`client_secret`, which this API has no use for, and gives `scope` a default
that some client generators turn into a required argument. A client that sends
them anyway (Swagger UI does) is not refused: unknown form fields are ignored.
"""

from email.message import Message
from typing import Annotated, Final

from fastapi import Form
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.requests import Request

FORM_MEDIA_TYPES: Final = ("application/x-www-form-urlencoded", "multipart/form-data")

FORM_FIELDS: Final = {
    "/auth/token": "username and password (OAuth2's password flow)",
    "/auth/refresh": "grant_type=refresh_token and refresh_token (OAuth2's refresh grant)",
}


def not_a_form(path: str) -> str:
    """What a form route answers a body that is not a form: what to send instead."""
    fields = FORM_FIELDS.get(path, "it documents")
    return (
        f"POST {path} takes a form, sent as application/x-www-form-urlencoded, "
        f"with the fields {fields}, not JSON"
    )


class LoginForm(BaseModel):
    """RFC 6749 section 4.3.2: a username and a password; `grant_type` may say `password`."""

    username: str = Field(description="The account's username, or its email.")
    password: str = Field(json_schema_extra={"format": "password"})
    grant_type: str | None = Field(
        default=None,
        pattern="^password$",
        description="OAuth2 clients send `password`; it may be left out.",
    )


LoginFormBody = Annotated[LoginForm, Form()]
"""Declare it once per route: FastAPI validates a form for every parameter that declares it,
so a second declaration (in a dependency, say) lists each error twice."""


class RefreshForm(BaseModel):
    """RFC 6749 section 6: `grant_type=refresh_token` and the refresh token.

    Any other grant type is the use case's 400 `unsupported_grant_type`, not
    a 422: RFC 6749 names that answer, and OAuth2 clients look for it.
    """

    grant_type: str = Field(description="`refresh_token`, the only grant this endpoint serves.")
    refresh_token: str = Field(
        max_length=1024, description="The refresh token of the last login or refresh."
    )


RefreshFormBody = Annotated[RefreshForm, Form()]


def require_form(request: Request) -> None:
    """Refuse a body that is not a form with 415 and what to send instead, as `POST /users/`
    refuses one that is not JSON; a JSON body would otherwise read as a form with no fields."""
    message = Message()
    message["content-type"] = request.headers.get("content-type", "")
    if message.get_content_type() not in FORM_MEDIA_TYPES:
        raise HTTPException(415, not_a_form(request.url.path))
