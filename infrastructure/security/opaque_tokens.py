"""Opaque random tokens (refresh tokens), and the SHA-256 digests that are stored instead."""

import hashlib
import re
import secrets
from typing import Final

from application.ports import OpaqueSecret

TOKEN_BYTES: Final = 32
"""256 random bits: nothing to guess, so a fast digest stores them as safely as a slow hash."""

_TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{43}")
"""What `secrets.token_urlsafe(32)` makes: 43 characters of base64url, unpadded."""


class OpaqueTokens:
    """Makes refresh tokens and their digests; a token is shown once and never stored."""

    def new(self) -> OpaqueSecret:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        return OpaqueSecret(token=token, digest=digest_of(token))

    def digest(self, token: str) -> bytes | None:
        return digest_of(token) if looks_like_a_token(token) else None


def looks_like_a_token(text: str) -> bool:
    """Whether `text` has the shape of 256 bits in unpadded base64url, as every token here."""
    return _TOKEN.fullmatch(text) is not None


def digest_of(token: str) -> bytes:
    """What is stored for `token`, and what it is looked up by."""
    return hashlib.sha256(token.encode("ascii")).digest()
