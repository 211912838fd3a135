"""Writes to one row that only happen while it is still at the version the caller read."""

from functools import cache

from sqlalchemy import ColumnElement, Table, bindparam, delete, select

from domain.errors import VersionMismatchError
from infrastructure.persistence.statements import Connection, Statement


def row_at(table: Table, *, conditional: bool) -> ColumnElement[bool]:
    """The WHERE of a write to one row: its id (`row_id`) and, if `conditional`, its version
    (`expected_version`).

    In the UPDATE or DELETE itself, so the check and the write are one step:
    a concurrent writer of the row holds its lock until it commits, and
    PostgreSQL then re-evaluates this condition on the row as that writer
    left it (READ COMMITTED's re-check), so of two writers expecting the same
    version exactly one matches.
    """
    where = table.c.id == bindparam("row_id", type_=table.c.id.type)
    if not conditional:
        return where
    return where & (table.c.version == bindparam("expected_version", type_=table.c.version.type))


@cache
def _exists(table: Table) -> Statement:
    return Statement(select(table.c.id).where(table.c.id == bindparam("row_id")))


@cache
def _delete(table: Table, *, conditional: bool) -> Statement:
    return Statement(delete(table).where(row_at(table, conditional=conditional)))


async def refuse_if_moved(
    connection: Connection, table: Table, row_id: int, expected_version: int | None
) -> None:
    """After a write matched no row: raise VersionMismatchError if it was conditional and the
    row exists, so the caller's "not found" is left for a row that is really gone.

    It runs only on that failure path and decides nothing: the write already
    did. It reads the latest committed state.
    """
    if expected_version is None:
        return
    if await _exists(table).scalar(connection, {"row_id": row_id}) is not None:
        raise VersionMismatchError


async def delete_row(
    connection: Connection, table: Table, row_id: int, expected_version: int | None
) -> bool:
    """Delete one row, at `expected_version` if given; return whether it existed."""
    statement = _delete(table, conditional=expected_version is not None)
    values = {"row_id": row_id, "expected_version": expected_version}
    if await statement.rowcount(connection, values) == 1:
        return True
    await refuse_if_moved(connection, table, row_id, expected_version)
    return False
