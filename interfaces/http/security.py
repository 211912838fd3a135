"""Who is calling: the bearer token of the OAuth2 password flow, checked on each request."""

from typing import Annotated, Final

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from domain.users import User
from interfaces.http.dependencies import AuthServiceDep

TOKEN_PATH: Final = "/auth/token"  # noqa: S105 - a path, not a secret

# Also what makes Swagger UI's "Authorize" button log in through TOKEN_PATH.
# A missing or non-bearer Authorization header is FastAPI's own 401.
oauth2_scheme: Final = OAuth2PasswordBearer(tokenUrl=TOKEN_PATH)


async def _current_user(
    token: Annotated[str, Depends(oauth2_scheme)], auth: AuthServiceDep
) -> User:
    return await auth.authenticate(token)


CurrentUser = Annotated[User, Depends(_current_user)]
