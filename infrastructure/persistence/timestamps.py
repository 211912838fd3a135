"""The `updated_at` a change stores: its transaction's start, yet never before the last change."""

from datetime import timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, func, literal
from sqlalchemy.types import Interval

TICK: Final = timedelta(microseconds=1)
"""The resolution of PostgreSQL's timestamps, and so the smallest step forward."""


def stamp_after(updated_at: ColumnElement[Any]) -> ColumnElement[Any]:
    """`now()`, or one tick past the row's `updated_at` when that is not earlier.

    `now()` is the start of the transaction, and transactions that change one
    row commit in the order of its lock, not in the order they began: an
    edit that began first but waited for the row would otherwise store an
    earlier time over a later one. An UPDATE that waited for the row's lock
    evaluates this against the version it waited for, so each change of a
    row is stamped later than the one before it.
    """
    return func.greatest(func.now(), updated_at + literal(TICK, Interval()))
