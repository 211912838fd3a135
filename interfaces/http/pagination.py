"""Cursor pagination for the list endpoints: signed cursors and RFC 8288 `Link` headers.

A cursor names the item a page starts after (or ends before) and the list it
belongs to, signed with a key derived from JWT_SECRET: clients cannot forge
one, replay it on another list, or read more into it than "where to go on".
Every worker and replica that shares the secret accepts every cursor.

Offsets (`skip`) stop at MAX_SKIP: PostgreSQL reads and throws away every row
it skips, so a deep offset costs in proportion to its depth, and a few of them
in parallel starved everyone else of connections. A cursor costs the same at
any depth, so past the cap the answer points to the `Link` header.

Links never come from the request's `Host`, which the client writes: they are
relative references, or absolute under PUBLIC_BASE_URL when it is set.
"""

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Final, Generic, Literal, TypeVar
from urllib.parse import quote, urlencode

from fastapi import Query, Request, Response
from fastapi.exceptions import RequestValidationError

from application.pagination import Page, PageRequest

Key = TypeVar("Key")
Item = TypeVar("Item")
Direction = Literal["after", "before"]

_SIGNATURE_BYTES: Final = 16
MAX_CURSOR_LENGTH: Final = 1024

CursorParam = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR_LENGTH,
        description="Where a page starts: copy it from a `Link` header, never build one.",
    ),
]


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def invalid_cursor(message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": ("query", "cursor"), "msg": message, "type": "invalid_cursor"}]
    )


class CursorCodec:
    """Writes and reads the `cursor` query parameter."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), b"list-cursor/v1", hashlib.sha256).digest()

    def encode(self, *, listing: str, direction: Direction, key: list[Any]) -> str:
        payload = _b64encode(
            json.dumps({"l": listing, "d": direction, "k": key}, separators=(",", ":")).encode()
        )
        return f"{payload}.{self._sign(payload)}"

    def decode(self, cursor: str, *, listing: str) -> tuple[Direction, list[Any]]:
        """Return the direction and key a cursor holds; raise a 422 if it is not one of ours."""
        payload, _, signature = cursor.partition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(payload).encode()):
            raise invalid_cursor("The cursor is not valid; follow the Link header as it is")
        try:
            content = json.loads(_b64decode(payload))
        except (binascii.Error, ValueError, RecursionError) as error:
            raise invalid_cursor("The cursor is not valid") from error
        # A signature proves who wrote the cursor, not which version of this code did:
        # its shape is checked as any input is.
        if not isinstance(content, dict):
            raise invalid_cursor("The cursor is not valid")
        if content.get("l") != listing:
            raise invalid_cursor("The cursor belongs to another list")
        direction, key = content.get("d"), content.get("k")
        if direction not in ("after", "before") or not isinstance(key, list):
            raise invalid_cursor("The cursor is not valid")
        return direction, key

    def _sign(self, payload: str) -> str:
        digest = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
        return _b64encode(digest[:_SIGNATURE_BYTES])


class Paging:
    """What every list endpoint shares: the cursor codec, the deepest offset, where links go."""

    def __init__(self, codec: CursorCodec, *, max_skip: int, base_url: str | None) -> None:
        self.codec = codec
        self.max_skip = max_skip
        self.base_url = None if base_url is None else base_url.rstrip("/")

    def check_skip(self, skip: int) -> None:
        if skip > self.max_skip:
            raise RequestValidationError(
                [
                    {
                        "loc": ("query", "skip"),
                        "msg": (
                            f"skip can be at most {self.max_skip}; to read further, follow the "
                            'Link header\'s rel="next" URL, whose cursor costs the same at any '
                            "depth"
                        ),
                        "type": "skip_too_deep",
                    }
                ]
            )

    def url(self, request: Request, params: list[tuple[str, str]]) -> str:
        """The request's own path with `params`: relative, or under the public base URL."""
        path: str = request.scope["path"]
        reference = f"{quote(path)}?{urlencode(params)}"
        return reference if self.base_url is None else self.base_url + reference


def paging_of(request: Request) -> Paging:
    """The app's paging, which its factory sets up once."""
    paging: Paging = request.app.state.paging
    return paging


class Listing(Generic[Key, Item]):
    """One list endpoint's paging: how its keys go into cursors and come back out."""

    def __init__(
        self,
        *,
        key_of: Callable[[Item], Key],
        dump: Callable[[Key], list[Any]],
        load: Callable[[list[Any]], Key],
    ) -> None:
        self._key_of = key_of
        self._dump = dump
        self._load = load

    def request(
        self,
        request: Request,
        *,
        listing: str,
        cursor: str | None,
        skip: int,
        limit: int,
    ) -> PageRequest[Key]:
        paging = paging_of(request)
        paging.check_skip(skip)
        if cursor is None:
            return PageRequest(limit=limit, skip=skip)
        direction, raw_key = paging.codec.decode(cursor, listing=listing)
        try:
            key = self._load(raw_key)
        except (TypeError, ValueError) as error:
            raise invalid_cursor("The cursor is not valid") from error
        if direction == "after":
            return PageRequest(limit=limit, skip=skip, after=key)
        return PageRequest(limit=limit, skip=skip, before=key)

    def link(
        self,
        request: Request,
        *,
        listing: str,
        response: Response,
        asked: PageRequest[Key],
        page: Page[Item],
    ) -> None:
        """Set `Link` with rel="next" and rel="prev" where there is somewhere to go."""
        items: Sequence[Item] = page.items
        if not items:
            return
        if asked.backwards:
            has_next, has_prev = True, page.more
        else:
            has_next = page.more
            has_prev = asked.after is not None or asked.skip > 0
        paging = paging_of(request)
        links = []
        if has_next:
            key = self._dump(self._key_of(items[-1]))
            cursor = paging.codec.encode(listing=listing, direction="after", key=key)
            links.append(f'<{_with_cursor(paging, request, cursor)}>; rel="next"')
        if has_prev:
            key = self._dump(self._key_of(items[0]))
            cursor = paging.codec.encode(listing=listing, direction="before", key=key)
            links.append(f'<{_with_cursor(paging, request, cursor)}>; rel="prev"')
        if links:
            response.headers["Link"] = ", ".join(links)


def _with_cursor(paging: Paging, request: Request, cursor: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in {"cursor", "skip"}]
    params.append(("cursor", cursor))
    return paging.url(request, params)


LINK_HEADER_DOC: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "headers": {
            "Link": {
                "description": (
                    'RFC 8288 links to the neighbouring pages: rel="next" and, past the '
                    'first page, rel="prev". Their `cursor` walks the list exactly once, '
                    "even while items are added."
                ),
                "schema": {"type": "string"},
            }
        }
    }
}
