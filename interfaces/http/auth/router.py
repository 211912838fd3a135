"""Signing in and out: the OAuth2 password flow, the refresh grant, and logout."""

from typing import Final, Literal

from fastapi import Depends, Request, Response, status
from pydantic import BaseModel, ConfigDict

from application.auth import Client, TokenPair, UnsupportedGrantTypeError
from application.ratelimit import Limit
from interfaces.http.auth.form import RefreshFormBody
from interfaces.http.client_address import client_key
from interfaces.http.dependencies import (
    auth_service,
    container_of,
    email_verification_service,
    password_reset_service,
    session_service,
)
from interfaces.http.errors import error_responses
from interfaces.http.origin import OriginDep, origin_of
from interfaces.http.ratelimit import CountedLogin, limit_reset_requests
from interfaces.http.routing import service_router
from interfaces.http.security import CallerDep
from interfaces.http.users.schemas import (
    Accepted,
    PasswordResetConfirm,
    PasswordResetRequest,
    VerifyEmail,
)

router = service_router(prefix="/auth", tags=["auth"])

REFRESH_GRANT: Final = "refresh_token"


class TokenResponse(BaseModel):
    """RFC 6749 section 5.1's answer, with the refresh token's own lifetime beside it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiIxIn0.sig",
                    "token_type": "bearer",
                    "expires_in": 900,
                    "refresh_token": "Jm0vWcN2b3JhLXRva2VuLW9wYXF1ZS0yNTYtYml0cy1ybmQ",
                    "refresh_expires_in": 2592000,
                }
            ]
        }
    )

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - a token type, not a secret
    expires_in: int
    """Seconds until the access token expires: then send the refresh token for the next."""
    refresh_token: str
    """Opaque, single use: `POST /auth/refresh` spends it for a new pair."""
    refresh_expires_in: int
    """Seconds until the session ends, after which no refresh works: log in again."""

    @classmethod
    def of(cls, pair: TokenPair) -> "TokenResponse":
        return cls(
            access_token=pair.access.token,
            expires_in=pair.access.expires_in,
            refresh_token=pair.refresh_token,
            refresh_expires_in=pair.refresh_expires_in,
        )


def _client(request: Request) -> Client:
    origin = origin_of(request)
    return Client(
        user_agent=request.headers.get("user-agent", ""),
        network=origin.client_network,
        request_id=origin.request_id,
    )


@router.post(
    "/token",
    response_model=TokenResponse,
    responses=error_responses(401, 415, 429),
    summary="Log in",
)
async def create_token(form: CountedLogin, request: Request) -> TokenResponse:
    """Exchange a username (or the email) and a password for a new session's tokens.

    Send the access token as `Authorization: Bearer <access_token>`; before it
    expires (`expires_in` seconds), `POST /auth/refresh` spends the refresh
    token for the next pair. The body is a form
    (`application/x-www-form-urlencoded`), as OAuth2's password flow has it,
    not JSON: `username=ada&password=...`; anything else is a 415. Too many
    failures for an account from one address, or too many attempts from one
    address, get a 429 with `Retry-After`; while it lasts, even the right
    password is refused.
    """
    auth = auth_service(request)
    pair = await auth.login(login=form.username, password=form.password, client=_client(request))
    return TokenResponse.of(pair)


async def _limit_refreshes(request: Request) -> None:
    container = container_of(request)
    address = client_key(request, container.settings().trusted_proxies)
    await container.rate_limits().hit(Limit.REFRESHES, address)


@router.post(
    "/refresh",
    response_model=TokenResponse,
    responses=error_responses(400, 401, 415, 429),
    dependencies=[Depends(_limit_refreshes)],
    summary="Refresh the tokens",
)
async def refresh_tokens(
    form: RefreshFormBody, request: Request, origin: OriginDep
) -> TokenResponse:
    """Spend the refresh token for a new pair in the same session (RFC 6749 section 6).

    The form is `grant_type=refresh_token&refresh_token=...`. Each refresh
    token works once: the answer carries the next one. One that comes back
    after it was spent ends the whole session, as it means someone else holds
    a copy: both parties must log in again. So a client refreshes one request
    at a time: of two refreshes with the same token, one gets the pair and
    the other ends the session. An unknown, spent, expired or revoked token
    is the same 401; refreshes are limited per client address (429). Like a
    login's, the answer is never cached (`Cache-Control: no-store`).
    """
    auth = auth_service(request)
    if form.grant_type != REFRESH_GRANT:
        raise UnsupportedGrantTypeError(REFRESH_GRANT)
    pair = await auth.refresh(form.refresh_token, origin=origin)
    return TokenResponse.of(pair)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(401),
    summary="Log out",
)
async def logout(caller: CallerDep, request: Request, origin: OriginDep) -> None:
    """End the caller's session: its refresh token, and every access token issued in it,
    stop working at once. The caller's other sessions go on (`DELETE /users/me/sessions`)."""
    sessions = session_service(request)
    await sessions.logout(caller, origin=origin)


@router.post(
    "/verify-email",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(400, 409, 415),
    summary="Prove an address",
)
async def verify_email(body: VerifyEmail, request: Request, origin: OriginDep) -> None:
    """Spend the token of a mailed link (the part after `#token=`): the account's address
    becomes verified, or, for a change of email, the new address becomes the account's.

    Each token works once. An unknown, used or expired token, or one a newer
    change of email replaced, is the same 400 (`invalid-mail-token`); a new
    address another account took meanwhile is a 409. No bearer token is
    needed: the mailed token is the proof.
    """
    service = email_verification_service(request)
    await service.verify_email(body.token, origin=origin)


RESET_ACCEPTED: Final = (
    "If an account has this email, a link to set a new password is on its way to it"
)


@router.post(
    "/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=error_responses(415, 429),
    summary="Ask for a password-reset link",
)
async def request_password_reset(body: PasswordResetRequest, request: Request) -> Accepted:
    """Mail a link that sets a new password to the account with this email, if there is one.

    The answer is the same 202, in about the same time, whether or not an
    account has the email: it tells nobody which addresses are registered.
    The link works `PASSWORD_RESET_MINUTES` (30 by default), once. Requests
    are limited per client address and per email (429 with `Retry-After`).
    """
    service = password_reset_service(request)
    await limit_reset_requests(request, body.email)
    await service.request(body.email)
    return Accepted(detail=RESET_ACCEPTED)


@router.post(
    "/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(400, 415),
    summary="Set a new password with a mailed link",
)
async def confirm_password_reset(
    body: PasswordResetConfirm, request: Request, origin: OriginDep
) -> None:
    """Set `new_password` (registration's rules, strength included: 422) with the token of a
    reset link, spending it; every session of the account ends, and its address is told.

    An unknown, used or expired token is the same 400 (`invalid-mail-token`),
    and nothing changes. Log in with the new password afterwards.
    """
    service = password_reset_service(request)
    await service.reset(body.token, body.new_password, origin=origin)
