"""Who is calling: the bearer token of the OAuth2 password flow, and its session, checked on
each request."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Final

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from application.auth import InvalidTokenError
from domain.sessions import Caller
from domain.users import User, UserNotFoundError
from interfaces.http.dependencies import auth_service

TOKEN_PATH: Final = "/auth/token"  # noqa: S105 - a path, not a secret
REFRESH_PATH: Final = "/auth/refresh"


class _BearerCaller(OAuth2PasswordBearer):
    """The OAuth2 password flow's bearer token, read as the caller it names.

    One dependency for the header and the token both: FastAPI solves each
    dependency of a route anew on every request. It is still FastAPI's
    scheme, so the OpenAPI document declares it on every operation that
    takes a caller, and Swagger UI's "Authorize" button logs in through
    TOKEN_PATH; a missing or non-bearer Authorization header is its own 401.
    """

    async def __call__(self, request: Request) -> Caller:  # type: ignore[override]
        token = await super().__call__(request)
        if token is None:  # only with auto_error=False, which this scheme never sets
            raise InvalidTokenError
        return auth_service(request).caller(token)


# Swagger UI's dialog for the password flow always has client_id and client_secret
# fields (it has no option to hide them); the description, shown above them, says
# what to do with them.
caller_scheme: Final = _BearerCaller(
    tokenUrl=TOKEN_PATH,
    refreshUrl=REFRESH_PATH,
    scheme_name="OAuth2PasswordBearer",
    description=(
        "Log in with your **username** (or email) and **password**. Leave `client_id` and "
        "`client_secret` empty: this API has no registered clients, and no scopes."
    ),
)


CallerDep = Annotated[Caller, Depends(caller_scheme)]
"""The account and session a valid token names, neither read: for a route whose use case
checks the session in its own statement (or in `caller_must_exist`)."""


async def _current_user(caller: CallerDep, request: Request) -> User:
    auth = auth_service(request)
    return await auth.signed_in(caller)


CurrentUser = Annotated[User, Depends(_current_user)]
"""The caller's account, read with the check that their session is live. A route may also
take `CallerDep` for the session's id: FastAPI decodes the token once for both."""


@contextmanager
def caller_must_exist() -> Iterator[None]:
    """Answer a `CallerDep` route whose account or session turns out to be gone as `CurrentUser`
    would.

    The use case reports what its statement found, a user that does not
    exist (or whose session ended); only this layer knows that the id came
    from a token, so only here does that mean the token is no good any more:
    the same 401 problem, with its `WWW-Authenticate`, that a revoked
    session's or a deleted account's token gets anywhere.
    """
    try:
        yield
    except UserNotFoundError:
        raise InvalidTokenError from None
