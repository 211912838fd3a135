"""The paging rules every listing shares: offsets for the seed API, keysets to scale."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from domain.errors import ValidationError

MAX_PAGE_SIZE: Final = 100

Item = TypeVar("Item")
Key = TypeVar("Key")


@dataclass(frozen=True, kw_only=True)
class PageRequest(Generic[Key]):
    """Which page to read: by offset (`skip`), or by key, after or before a known item.

    A key-based page costs the same however deep it is, and inserts at the
    head of the list cannot shift it, so walking a list by keys meets every
    item exactly once.
    """

    limit: int = MAX_PAGE_SIZE
    skip: int = 0
    after: Key | None = None
    before: Key | None = None

    def check(self) -> None:
        if self.skip < 0:
            raise ValidationError("skip must be 0 or more")
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise ValidationError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        if self.after is not None and self.before is not None:
            raise ValidationError("a page is read after a key or before one, not both")
        if self.skip and (self.after is not None or self.before is not None):
            raise ValidationError("skip cannot be combined with a cursor")

    @property
    def backwards(self) -> bool:
        return self.before is not None


@dataclass(frozen=True, kw_only=True)
class Page(Generic[Item]):
    """A page of a listing, in the listing's order.

    `more` tells whether items lie beyond the page in the direction it was
    read: after it for a forward read, before it for a backward one.
    """

    items: Sequence[Item]
    more: bool


def trim(rows: Sequence[Item], request: PageRequest[Key]) -> Page[Item]:
    """Cut the one extra row a repository was asked for, which only says whether there is more.

    Backward reads come back in listing order, so their extra row is the first.
    """
    more = len(rows) > request.limit
    if not more:
        return Page(items=rows, more=False)
    return Page(items=rows[1:] if request.backwards else rows[: request.limit], more=True)
