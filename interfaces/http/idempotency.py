"""The `Idempotency-Key` header of the create operations, and the answers it replays.

The header is the IETF httpapi draft's (as Stripe uses it): a client sends a
unique key with a POST, and may send the same request again, with the same
key, until it gets an answer, without creating twice. The rules live in
`application.idempotency`; this module reads the header, fingerprints the
request, renders the answer to keep, and sends kept answers back.
"""

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Final, TypeVar

from fastapi import Depends, Header, Request, Response
from pydantic import AfterValidator, BaseModel

from application.idempotency import Once, Outcome
from domain.idempotency import StoredResponse
from interfaces.http.conditional import entity_tag, tagged

Created = TypeVar("Created")

IDEMPOTENCY_KEY_HEADER: Final = "Idempotency-Key"
REPLAYED_HEADER: Final = "Idempotent-Replayed"
KEY_MAX_LENGTH: Final = 255
KEY_PATTERN: Final = f"^[!-~]{{1,{KEY_MAX_LENGTH}}}$"
"""Visible ASCII, no spaces: a UUID, a ULID, or the draft's quoted string all fit."""

_KEY: Final = re.compile(KEY_PATTERN)


def _valid_key(key: str | None) -> str | None:
    if key is not None and not _KEY.fullmatch(key):
        raise ValueError(
            f"An idempotency key is 1 to {KEY_MAX_LENGTH} visible ASCII characters, with no spaces"
        )
    return key


IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_KEY_HEADER,
        max_length=KEY_MAX_LENGTH,
        json_schema_extra={"pattern": KEY_PATTERN},
        description=(
            "Makes the create safe to retry: a unique value (a UUID, say) per intended "
            "create. The same key and the same body, from the same caller, within "
            "IDEMPOTENCY_KEY_TTL_HOURS (24 by default), get the first answer again, "
            f"with `{REPLAYED_HEADER}: true`, and create nothing. The same key with "
            "another body is a 422; while the first request is still being served, a 409."
        ),
    ),
    AfterValidator(_valid_key),
]

CREATED_HEADERS_DOC: Final[dict[int | str, dict[str, Any]]] = {
    201: {
        "headers": {
            **tagged(201)[201]["headers"],
            "Location": {
                "description": "The path of the created resource.",
                "required": True,
                "schema": {"type": "string"},
            },
            REPLAYED_HEADER: {
                "description": "`true` when this is the kept answer to an earlier request "
                "with the same Idempotency-Key; nothing was created this time.",
                "schema": {"type": "string", "enum": ["true"]},
            },
        }
    }
}


class RequestFingerprints:
    """Tells whether two requests are the same one: method, path and canonical JSON body.

    The canonical body is the JSON re-written with sorted keys and no spaces,
    so that the same fields in another order or layout are the same request.
    It is an HMAC under a key derived from JWT_SECRET rather than a plain
    hash: a registration's body holds a password, and a leaked plain hash of
    it could be tested against guesses at the speed of SHA-256.
    """

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(
            secret.encode(), b"idempotency-fingerprint/v1", hashlib.sha256
        ).digest()

    def of(self, method: str, path: str, body: bytes) -> str:
        try:
            canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
        except ValueError:
            canonical = body.decode("latin-1")
        # `/posts` and `/posts/` serve one operation; so they are one request.
        message = f"{method} {path.rstrip('/')}/\n{canonical}"
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class KeyedRequest:
    """A create request that came with an Idempotency-Key."""

    key: str
    fingerprint: str

    def once(self, render: Callable[[Created], StoredResponse]) -> Once[Created]:
        return Once(key=self.key, fingerprint=self.fingerprint, render=render)


async def _keyed_request(request: Request, key: IdempotencyKeyHeader = None) -> KeyedRequest | None:
    if key is None:
        return None
    fingerprints: RequestFingerprints = request.app.state.request_fingerprints
    return KeyedRequest(
        key, fingerprints.of(request.method, request.url.path, await request.body())
    )


IdempotencyKeyDep = Annotated[KeyedRequest | None, Depends(_keyed_request)]


def created(model: BaseModel, *, location: str, revision: str) -> StoredResponse:
    """A 201 with the resource as JSON, where it lives and its ETag: what a create answers,
    and keeps for a replay."""
    return StoredResponse(
        status=201,
        headers=(
            ("content-type", "application/json"),
            ("location", location),
            ("etag", entity_tag(revision)),
        ),
        body=model.model_dump_json().encode(),
    )


def send(stored: StoredResponse, *, replayed: bool = False) -> Response:
    """The HTTP response for a rendered answer, marked when it replays an earlier one."""
    response = Response(content=stored.body, status_code=stored.status)
    for name, value in stored.headers:
        response.headers.append(name, value)
    if replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return response


def send_outcome(outcome: Outcome) -> Response:
    return send(outcome.response, replayed=outcome.replayed)
