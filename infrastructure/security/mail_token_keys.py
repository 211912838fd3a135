"""Tokens of mailed links, derived from their ids with a key of the service's."""

import base64
import hashlib
import hmac
from typing import Final
from uuid import UUID

from application.ports import OpaqueSecret
from infrastructure.security.opaque_tokens import digest_of, looks_like_a_token

_PURPOSE: Final = b"users-posts mail tokens v1"


class HmacMailTokenKeys:
    """HMAC-SHA256 of a token's random id: 256 bits no one can compute without the key.

    The key is derived from JWT_SECRET for this one use, so a token says
    nothing about the key that signs access tokens. Changing JWT_SECRET
    voids every mailed link not yet used, as it ends every access token.
    """

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()

    def derive(self, token_id: UUID) -> OpaqueSecret:
        mac = hmac.new(self._key, token_id.bytes, hashlib.sha256).digest()
        token = base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")
        return OpaqueSecret(token=token, digest=digest_of(token))

    def digest(self, token: str) -> bytes | None:
        return digest_of(token) if looks_like_a_token(token) else None
