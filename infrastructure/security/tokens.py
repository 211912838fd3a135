"""Signed JWT access tokens (PyJWT)."""

import re
from datetime import UTC, datetime, timedelta
from typing import Final

import jwt

from application.auth import InvalidTokenError
from application.ports import AccessToken
from infrastructure.settings import Settings

_MAX_ID: Final = 2**63 - 1
# The one way `issue` writes an id: bounded in length before int() reads it, since int()
# refuses (ValueError) past 4,300 digits and costs quadratic time below that.
_SUBJECT: Final = re.compile(r"[1-9][0-9]{0,18}")


class JwtTokenIssuer:
    """Issues HMAC-signed JWTs carrying `sub` (the user id), `iat` and `exp`.

    Decoding accepts only the configured algorithm, so a token claiming
    `alg: none` or another algorithm is refused rather than trusted.
    """

    def __init__(self, *, secret: str, algorithm: str, lifetime: timedelta) -> None:
        self._secret = secret
        self._algorithm = algorithm
        self._lifetime = lifetime

    @classmethod
    def from_settings(cls, settings: Settings) -> "JwtTokenIssuer":
        return cls(
            secret=settings.jwt_secret.get_secret_value(),
            algorithm=settings.jwt_algorithm,
            lifetime=timedelta(minutes=settings.access_token_expire_minutes),
        )

    def issue(self, user_id: int) -> AccessToken:
        now = datetime.now(UTC)
        claims = {"sub": str(user_id), "iat": now, "exp": now + self._lifetime}
        return AccessToken(
            token=jwt.encode(claims, self._secret, algorithm=self._algorithm),
            expires_in=int(self._lifetime.total_seconds()),
        )

    def user_id_of(self, token: str) -> int:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self._algorithm],
                options={"require": ["sub", "iat", "exp"]},
            )
        except jwt.InvalidTokenError:
            raise InvalidTokenError from None
        subject = claims["sub"]
        if not (isinstance(subject, str) and _SUBJECT.fullmatch(subject)):
            raise InvalidTokenError
        user_id = int(subject)
        if not 1 <= user_id <= _MAX_ID:
            raise InvalidTokenError
        return user_id
