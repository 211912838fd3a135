"""Revisions derived from what they name, for views that must not show a version.

A stored version moves with every change of a row, private ones included, so
a view that shows only part of the row cannot use it as its revision: its
ETag would tell a reader about changes they are not shown. A digest of the
fields the view does show moves exactly when the view does, needs no column
or migration, and cannot be guessed backwards into anything the view hides
(it is computed from the view's own fields only).
"""

import hashlib
from base64 import urlsafe_b64encode
from datetime import UTC, datetime, timedelta
from typing import Final

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
_DIGEST_SIZE: Final = 12
"""96 bits: two states of one resource sharing a revision is out of reach."""


def _field(value: int | str | datetime) -> str:
    if isinstance(value, datetime):
        # The instant, not its spelling: a driver may hand it back in another time zone.
        value = (value - _EPOCH) // _MICROSECOND
    text = str(value)
    return f"{len(text)}:{text}"


def digest_revision(*fields: int | str | datetime) -> str:
    """A short revision of exactly these fields: equal fields, equal revision.

    Each field is length-prefixed, so that no two different lists of fields
    join into the same text. The digest is URL-safe base64, which an ETag
    carries as it is.
    """
    joined = "\n".join(_field(value) for value in fields).encode("utf-8", "surrogatepass")
    digest = hashlib.blake2b(joined, digest_size=_DIGEST_SIZE).digest()
    return urlsafe_b64encode(digest).decode("ascii")
