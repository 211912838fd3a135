"""Writes to one row that only happen while it is still at the version the caller read."""

from sqlalchemy import ColumnElement, Table, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.errors import VersionMismatchError


def row_at(table: Table, row_id: int, expected_version: int | None) -> ColumnElement[bool]:
    """The WHERE of a write to one row: its id and, when one is expected, its version.

    In the UPDATE or DELETE itself, so the check and the write are one step:
    a concurrent writer of the row holds its lock until it commits, and
    PostgreSQL then re-evaluates this condition on the row as that writer
    left it (READ COMMITTED's re-check), so of two writers expecting the same
    version exactly one matches.
    """
    where = table.c.id == row_id
    return where if expected_version is None else where & (table.c.version == expected_version)


async def refuse_if_moved(
    connection: AsyncConnection, table: Table, row_id: int, expected_version: int | None
) -> None:
    """After a write matched no row: raise VersionMismatchError if it was conditional and the
    row exists, so the caller's "not found" is left for a row that is really gone.

    It runs only on that failure path and decides nothing: the write already
    did. It reads the latest committed state.
    """
    if expected_version is None:
        return
    found = await connection.scalar(select(table.c.id).where(table.c.id == row_id))
    if found is not None:
        raise VersionMismatchError


async def delete_row(
    connection: AsyncConnection, table: Table, row_id: int, expected_version: int | None
) -> bool:
    """Delete one row, at `expected_version` if given; return whether it existed."""
    result = await connection.execute(delete(table).where(row_at(table, row_id, expected_version)))
    if result.rowcount == 1:
        return True
    await refuse_if_moved(connection, table, row_id, expected_version)
    return False
