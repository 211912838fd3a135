"""The version check of a conditional write, as the SQL adapter's WHERE makes it."""

from domain.errors import VersionMismatchError


def check_version(stored: int, expected: int | None) -> None:
    """Raise VersionMismatchError unless the write is unconditional or the row is at `expected`.

    Callers lock the row first and check it before anything else (uniqueness
    included), in the order PostgreSQL's UPDATE applies its WHERE, then writes.
    """
    if expected is not None and stored != expected:
        raise VersionMismatchError
