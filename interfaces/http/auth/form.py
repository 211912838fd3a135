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

NOT_A_FORM: Final = (
    "POST /auth/token takes a form, sent as application/x-www-form-urlencoded, "
    "with the fields username and password (OAuth2's password flow), not JSON"
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


async def require_form(request: Request) -> None:
    """Refuse a body that is not a form with 415 and what to send instead, as `POST /users/`
    refuses one that is not JSON; a JSON body would otherwise read as a form with no fields."""
    message = Message()
    message["content-type"] = request.headers.get("content-type", "")
    if message.get_content_type() not in FORM_MEDIA_TYPES:
        raise HTTPException(415, NOT_A_FORM)
