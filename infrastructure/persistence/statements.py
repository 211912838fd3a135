"""SQLAlchemy Core statements compiled once, then run on a psycopg connection from the pool.

The repositories write their SQL with SQLAlchemy Core, against the tables
Alembic migrates, and run it on psycopg's own connection: SQLAlchemy's
execution path (a cache key per call, an execution context, a result object,
a greenlet switch for each await) cost more CPU per request than everything
psycopg does for the same statement.

Each statement is compiled once, through SQLAlchemy's public API, when its
module is imported (or, for a statement with a few shapes, when a shape is
first used): `compile(dialect=...)` gives the SQL in psycopg's `%(name)s`
style and `params` the values written into the statement, so a call only
binds its own values over those. Nothing converts values on the way: for the
column types these tables use psycopg adapts and loads them as SQLAlchemy
would, except JSONB, which a repository wraps in psycopg's `Jsonb` itself.
tests/unit/test_compiled_statements.py fails when a table gains a type for
which that no longer holds.
"""

from collections.abc import Mapping
from typing import Any, Final

from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from sqlalchemy.dialects.postgresql.psycopg import dialect as PsycopgDialect  # noqa: N812
from sqlalchemy.sql import ClauseElement

Connection = AsyncConnection[Any]
"""The psycopg connection a block of work holds for its length."""

DIALECT: Final = PsycopgDialect()  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy
"""The dialect the statements are compiled for: psycopg 3's."""

_RENDERED_AT_EXECUTION: Final = "__[POSTCOMPILE_"
"""How SQLAlchemy marks a part it only renders at execution time (an expanding IN, say)."""


class Statement:
    """One Core statement in its compiled form, with the values it carries itself.

    Values written into the statement (`literal(...)`, a `bindparam` with a
    value) are bound by default; the caller binds the rest by name and may
    override those. A statement SQLAlchemy would only finish at execution
    time cannot be compiled once, and is refused.
    """

    __slots__ = ("_defaults", "sql")

    def __init__(self, statement: ClauseElement) -> None:
        compiled = statement.compile(dialect=DIALECT)
        if _RENDERED_AT_EXECUTION in compiled.string:
            raise ValueError("the statement is compiled per execution: it cannot be compiled once")
        self.sql: Final = compiled.string
        self._defaults: Final = {
            name: value for name, value in compiled.params.items() if value is not None
        }

    def parameters(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The statement's own values with `values` over them."""
        return self._defaults | dict(values) if self._defaults else dict(values)

    async def rows(self, connection: Connection, values: Mapping[str, Any]) -> list[DictRow]:
        """Every row the statement returns, as dicts keyed by column label."""
        async with connection.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(self.sql, self.parameters(values))
            return await cursor.fetchall()

    async def first(self, connection: Connection, values: Mapping[str, Any]) -> DictRow | None:
        """The first row the statement returns, or None when it returns none."""
        async with connection.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(self.sql, self.parameters(values))
            return await cursor.fetchone()

    async def scalar(self, connection: Connection, values: Mapping[str, Any]) -> Any:
        """The first column of the first row, or None when there is no row."""
        async with connection.cursor() as cursor:
            await cursor.execute(self.sql, self.parameters(values))
            row = await cursor.fetchone()
            return None if row is None else row[0]

    async def rowcount(self, connection: Connection, values: Mapping[str, Any]) -> int:
        """How many rows an UPDATE or DELETE touched."""
        async with connection.cursor() as cursor:
            await cursor.execute(self.sql, self.parameters(values))
            return cursor.rowcount
