"""The rules of an idempotent create, shared by the use cases that offer one.

The IETF httpapi draft's semantics, as Stripe applies them:

- A repeat of a request, with the same key, by the same caller (the scope),
  while the key lives, gets the first request's answer again, and nothing is
  created.
- The same key with a different request (method, path or body: the
  fingerprint) is refused: IdempotencyKeyReusedError.
- A repeat while the first is still being served is refused at once, not
  after waiting for it: IdempotencyKeyInUseError.
- Only a create that commits records its key, in its own transaction: a
  crash leaves neither the row nor the key, and a request that failed (a
  taken email, say) leaves no key, so its retry runs again.

The answer is kept as a neutral StoredResponse built by a `render` callable
that the transport hands over with the key. The use case calls it inside its
transaction, with the entity it just created, and stores what it returns; so
this layer imports no framework, yet the answer replayed is byte for byte the
one first sent, whatever the transport puts in it (a Location, an ETag...).
"""

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Generic, TypeVar

from application.unit_of_work import Repositories, Transaction
from domain.idempotency import (
    CreatedResource,
    IdempotencyKeyInUseError,
    IdempotencyKeyReusedError,
    NewIdempotencyRecord,
    StoredResponse,
)

Created = TypeVar("Created")

DEFAULT_KEY_LIFETIME: Final = timedelta(hours=24)


@dataclass(frozen=True, slots=True, kw_only=True)
class Once(Generic[Created]):
    """A client's request that a create happen at most once, and how to answer it.

    `fingerprint` identifies the request; the transport computes it (from the
    method, the path and the canonical body) and this layer only compares it.
    `render` turns the created entity into the answer to send and keep.
    """

    key: str
    fingerprint: str
    render: Callable[[Created], StoredResponse]


@dataclass(frozen=True, slots=True)
class Outcome:
    """The answer to send, and whether it is a replay of an earlier one."""

    response: StoredResponse
    replayed: bool


class IdempotencyGuard:
    """Claims, checks and records keys inside a use case's unit of work."""

    def __init__(self, key_lifetime: timedelta = DEFAULT_KEY_LIFETIME) -> None:
        self._lifetime = key_lifetime

    async def replay(self, repos: Repositories, scope: str, once: Once[Created]) -> Outcome | None:
        """Claim the key; return the stored answer to replay, or None when the work is to be done.

        In a transaction the claim holds the key until it ends, so call this
        first in the transaction that creates. In a `read()` block it is the
        cheap early check that spares a doomed request its costly steps (a
        password hash); the transaction checks again.
        """
        if not await repos.idempotency_keys.claim(scope, once.key):
            raise IdempotencyKeyInUseError
        record = await repos.idempotency_keys.get(scope, once.key)
        if record is None:
            return None
        if not hmac.compare_digest(record.fingerprint, once.fingerprint):
            raise IdempotencyKeyReusedError
        return Outcome(record.response, replayed=True)

    async def record(
        self,
        tx: Transaction,
        scope: str,
        once: Once[Created],
        created: Created,
        *,
        resource: CreatedResource,
    ) -> Outcome:
        """Render the answer and store it with the key, in the transaction that created.

        The use case commits them together afterwards: a key is only kept
        with what it created. `resource` names what was created, so that the
        record goes when it goes.
        """
        response = once.render(created)
        await tx.idempotency_keys.add(
            NewIdempotencyRecord(
                scope=scope,
                key=once.key,
                fingerprint=once.fingerprint,
                response=response,
                created=resource,
                lifetime=self._lifetime,
            )
        )
        return Outcome(response, replayed=False)
