"""Signed JWT access tokens (PyJWT), in the shape of RFC 9068."""

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final
from uuid import UUID, uuid4

import jwt

from application.auth import InvalidTokenError
from application.ports import AccessToken
from domain.sessions import Caller
from infrastructure.settings import Settings

ACCESS_TOKEN_TYPE: Final = "at+jwt"  # noqa: S105 - a media type, not a secret
"""RFC 9068's `typ` header: what tells an access token from any other JWT signed with the key."""

_MAX_ID: Final = 2**63 - 1
# The one way `issue` writes an id: bounded in length before int() reads it, since int()
# refuses (ValueError) past 4,300 digits and costs quadratic time below that.
_SUBJECT: Final = re.compile(r"[1-9][0-9]{0,18}")
# The one way `issue` writes a session id: str(UUID), lower-case and hyphenated.
_SESSION: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_REQUIRED: Final = ["sub", "sid", "iat", "exp", "jti"]
VERIFIED_TOKENS: Final = 4096
"""Verified tokens kept per process (a few hundred KiB at most), the oldest dropped first."""


class JwtTokenIssuer:
    """Issues HMAC-signed JWTs: header `typ: at+jwt`; claims `sub` (the user id), `sid` (the
    session), `iat`, `exp` and `jti`.

    Decoding accepts only the configured algorithm, so a token claiming
    `alg: none` or another algorithm is refused rather than trusted; and only
    the `at+jwt` type, so no other token signed with the key passes as one.
    """

    def __init__(
        self,
        *,
        secret: str,
        algorithm: str,
        lifetime: timedelta,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret
        self._algorithm = algorithm
        self._lifetime = lifetime
        self._clock = clock
        self._verified: dict[str, tuple[Caller, float]] = {}
        """Tokens already verified, with the caller each names and its `exp`."""

    @classmethod
    def from_settings(cls, settings: Settings) -> "JwtTokenIssuer":
        return cls(
            secret=settings.jwt_secret.get_secret_value(),
            algorithm=settings.jwt_algorithm,
            lifetime=timedelta(minutes=settings.access_token_expire_minutes),
        )

    def issue(self, *, user_id: int, session_id: UUID) -> AccessToken:
        now = datetime.now(UTC)
        claims = {
            "sub": str(user_id),
            "sid": str(session_id),
            "iat": now,
            "exp": now + self._lifetime,
            "jti": uuid4().hex,
        }
        token = jwt.encode(
            claims, self._secret, algorithm=self._algorithm, headers={"typ": ACCESS_TOKEN_TYPE}
        )
        return AccessToken(token=token, expires_in=int(self._lifetime.total_seconds()))

    def caller_of(self, token: str) -> Caller:
        """The caller a valid access token names; InvalidTokenError for any other.

        A client sends one token with every request for as long as it lives,
        and verifying it (two JSON documents, the signature, the claims) is
        the costliest step of an authenticated request's own work: so the
        last VERIFIED_TOKENS tokens verified are kept, by their exact text,
        and a kept one is only checked against its `exp` again. Whether its
        session still lives is the use case's check, on every request.
        """
        known = self._verified.get(token)
        if known is not None:
            caller, expires = known
            if self._clock() < expires:
                return caller
            del self._verified[token]
            raise InvalidTokenError
        caller, expires = self._verify(token)
        if len(self._verified) >= VERIFIED_TOKENS:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (caller, expires)
        return caller

    def _verify(self, token: str) -> tuple[Caller, float]:
        try:
            decoded = jwt.decode_complete(
                token,
                self._secret,
                algorithms=[self._algorithm],
                options={"require": _REQUIRED},
            )
        except jwt.InvalidTokenError:
            raise InvalidTokenError from None
        if decoded["header"].get("typ") != ACCESS_TOKEN_TYPE:
            raise InvalidTokenError
        claims = decoded["payload"]
        subject, session, expires = claims["sub"], claims["sid"], claims["exp"]
        if not (isinstance(subject, str) and _SUBJECT.fullmatch(subject)):
            raise InvalidTokenError
        if not (isinstance(session, str) and _SESSION.fullmatch(session)):
            raise InvalidTokenError
        user_id = int(subject)
        if not 1 <= user_id <= _MAX_ID:
            raise InvalidTokenError
        return Caller(user_id=user_id, session_id=UUID(session)), float(expires)
