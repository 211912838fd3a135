"""A recorded answer to a request made with an idempotency key."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredResponse:
    """The answer to replay: exactly what the first request got, as plain data."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class CreatedResource:
    """What a create made: its record goes when it goes.

    A stored answer is a copy of what was created (a registration's holds the
    email, a post's its body), and its scope may name it too
    (`registration:<email>`); so deleting an account or a post deletes the
    records of their creates, in the same transaction, and no personal data
    outlives the deletion. A replay of such a key then runs anew.
    """

    kind: Literal["user", "post"]
    id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class NewIdempotencyRecord:
    """A key about to be stored with the answer its request got.

    `lifetime` counts from the start of the storing transaction, like the
    other timestamps; a zero lifetime stores a key that is already expired.
    """

    scope: str
    key: str
    fingerprint: str
    response: StoredResponse
    created: CreatedResource
    lifetime: timedelta


@dataclass(frozen=True, slots=True, kw_only=True)
class IdempotencyRecord:
    """A stored key: who used it (`scope`), for which request (`fingerprint`), and the answer.

    Keys belong to a scope, the caller, so two callers who pick the same key
    never see each other's answers.
    """

    scope: str
    key: str
    fingerprint: str
    response: StoredResponse
    created: CreatedResource
    created_at: datetime
    expires_at: datetime
