"""Positions in PostgreSQL's write-ahead log (LSNs): how far a write went, how far a standby is.

A position is a 64-bit byte offset into the WAL, written `X/Y` (two hex
halves). It only grows, across a standby's promotion too (the new timeline
starts where the old one was left), so positions from before and after a
failover still compare.
"""

import re
from typing import Final

LAST: Final = 0xFFFFFFFF_FFFFFFFF
"""A position no replica reaches: "read this caller from the primary"."""

_TEXT: Final = re.compile(r"([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})")
_PAGE_BYTES: Final = 8192
_SEGMENT_BYTES: Final = 16 * 1024 * 1024
_SHORT_PAGE_HEADER: Final = 24
_LONG_PAGE_HEADER: Final = 40
"""PostgreSQL's defaults: 8 kB WAL pages, 16 MB segments, and the header each page
(or, longer, each segment) starts with."""


def parse(text: str) -> int | None:
    """The position `X/Y` stands for, or None when `text` is not one (a client's cookie, say)."""
    found = _TEXT.fullmatch(text)
    if found is None:
        return None
    return (int(found[1], 16) << 32) | int(found[2], 16)


def format_position(position: int) -> str:
    return f"{position >> 32:X}/{position & 0xFFFFFFFF:X}"


def record_end(insert_position: int) -> int:
    """Where the records before `pg_current_wal_insert_lsn()` end, as a standby's replay says.

    The insert position of a log whose last record ended on a page boundary
    points past the next page's header, where no record can end: a standby
    that replayed everything reports the boundary (`pg_last_wal_replay_lsn()`),
    which would seem short of it until the next write. With pages or segments
    of other sizes the position is left as it is: later than need be, never
    earlier than the write.
    """
    if insert_position % _SEGMENT_BYTES == _LONG_PAGE_HEADER:
        return insert_position - _LONG_PAGE_HEADER
    if insert_position % _PAGE_BYTES == _SHORT_PAGE_HEADER:
        return insert_position - _SHORT_PAGE_HEADER
    return insert_position
