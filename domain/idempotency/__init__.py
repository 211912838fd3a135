"""Idempotency keys: a client's promise that two requests are one, and the answer kept for it.

This sits in the domain, next to users and posts, because the unit of work
exposes its repository: a key must be written in the same transaction as the
row it created, or a crash could keep one without the other. Nothing here
knows HTTP; a stored response is a status, header pairs and body bytes that
whoever serves them gave the use case to keep.
"""

from domain.idempotency.entities import (
    CreatedResource,
    IdempotencyRecord,
    NewIdempotencyRecord,
    StoredResponse,
)
from domain.idempotency.errors import IdempotencyKeyInUseError, IdempotencyKeyReusedError
from domain.idempotency.repository import IdempotencyKeyRepository

__all__ = [
    "CreatedResource",
    "IdempotencyKeyInUseError",
    "IdempotencyKeyRepository",
    "IdempotencyKeyReusedError",
    "IdempotencyRecord",
    "NewIdempotencyRecord",
    "StoredResponse",
]
