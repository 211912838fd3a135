"""Who is calling: the bearer token of the OAuth2 password flow, checked on each request."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Final

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from application.auth import InvalidTokenError
from domain.users import User, UserNotFoundError
from interfaces.http.dependencies import AuthServiceDep

TOKEN_PATH: Final = "/auth/token"  # noqa: S105 - a path, not a secret

# Also what makes Swagger UI's "Authorize" button log in through TOKEN_PATH.
# A missing or non-bearer Authorization header is FastAPI's own 401.
# Swagger UI's dialog for the password flow always has client_id and client_secret
# fields (it has no option to hide them); the description, shown above them, says
# what to do with them.
oauth2_scheme: Final = OAuth2PasswordBearer(
    tokenUrl=TOKEN_PATH,
    description=(
        "Log in with your **username** (or email) and **password**. Leave `client_id` and "
        "`client_secret` empty: this API has no registered clients, and no scopes."
    ),
)


async def _current_user(
    token: Annotated[str, Depends(oauth2_scheme)], auth: AuthServiceDep
) -> User:
    return await auth.authenticate(token)


async def _caller_id(token: Annotated[str, Depends(oauth2_scheme)], auth: AuthServiceDep) -> int:
    return auth.caller_id(token)


CurrentUser = Annotated[User, Depends(_current_user)]

CallerId = Annotated[int, Depends(_caller_id)]
"""The id in a valid token, its account unread: only for a route run in `caller_must_exist`."""


@contextmanager
def caller_must_exist() -> Iterator[None]:
    """Answer a `CallerId` route whose account turns out to be gone as `CurrentUser` would.

    The use case reports what its statement found, a user that does not
    exist; only this layer knows that the id came from a token, so only here
    does that mean the token names no account any more: the same 401 problem,
    with its `WWW-Authenticate`, that a deleted account's token gets anywhere.
    """
    try:
        yield
    except UserNotFoundError:
        raise InvalidTokenError from None
