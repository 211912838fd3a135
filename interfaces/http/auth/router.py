"""Logging in: the OAuth2 password flow."""

from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from interfaces.http.auth.form import require_form
from interfaces.http.dependencies import AuthServiceDep
from interfaces.http.errors import error_responses
from interfaces.http.ratelimit import CountedLogin

router = APIRouter(prefix="/auth", tags=["auth"])


class TokenResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.sig",
                    "token_type": "bearer",
                    "expires_in": 1800,
                }
            ]
        }
    )

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - a token type, not a secret
    expires_in: int
    """Seconds until the token expires."""


@router.post(
    "/token",
    response_model=TokenResponse,
    responses=error_responses(401, 415, 429),
    dependencies=[Depends(require_form)],
    summary="Log in",
)
async def create_token(form: CountedLogin, auth: AuthServiceDep) -> TokenResponse:
    """Exchange a username (or the email) and a password for a bearer token.

    Send the token as `Authorization: Bearer <access_token>`. The body is a
    form (`application/x-www-form-urlencoded`), as OAuth2's password flow has
    it, not JSON: `username=ada&password=...`; anything else is a 415. Too many failures for an
    account from one address, or too many attempts from one address, get a 429
    with `Retry-After`; while it lasts, even the right password is refused.
    """
    token = await auth.login(login=form.username, password=form.password)
    return TokenResponse(access_token=token.token, expires_in=token.expires_in)
