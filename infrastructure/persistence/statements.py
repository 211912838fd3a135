"""SQLAlchemy Core statements compiled once, then run on psycopg's own connection.

The repositories write their SQL with SQLAlchemy Core, against the tables
Alembic migrates, but run it on the driver connection underneath the pooled
one. SQLAlchemy's execution path (a cache key per call, an execution context,
a result object, and a greenlet switch for each await) cost more CPU per
request than everything psycopg does for the same statement: under the
benchmark, running the same compiled SQL on the driver took
`GET /users/{id}` from about 1,940 to 2,400 requests per second.

Each statement is compiled once, when its module is imported (or, for a
statement with a few shapes, when a shape is first used), so a call only
binds values. The values go through the same bind processors SQLAlchemy
would apply (JSONB's, for one), so what reaches PostgreSQL is unchanged.
Rows come back as psycopg loads them, with no result processing: for the
column types these tables use, psycopg's own loaders give what SQLAlchemy
would (the contract tests and the idempotent replays read them back).
"""

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, Final

from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from sqlalchemy.dialects.postgresql.psycopg import dialect as PsycopgDialect  # noqa: N812
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Driver = AsyncConnection[Any]
"""The psycopg connection a unit of work holds for its length."""

_DIALECT: Final = PsycopgDialect()  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy


class Statement:
    """One Core statement in its compiled form, with the values it carries itself.

    Values written into the statement (`literal(...)`, a `bindparam` with a
    value) are bound by default; the caller binds the rest by name and may
    override those. Compiling raises for a statement SQLAlchemy would only
    finish at execution time (an expanding IN, say), as those cannot be
    compiled once.
    """

    __slots__ = ("_defaults", "_processors", "sql")

    def __init__(self, statement: ClauseElement) -> None:
        compiled = statement.compile(dialect=_DIALECT)
        if not isinstance(compiled, SQLCompiler) or compiled.literal_execute_params:
            raise ValueError("the statement cannot be compiled once")
        binds = compiled.bind_names  # each parameter and the name it is rendered under
        if any(bind.expanding for bind in binds):
            raise ValueError("an expanding bind parameter is compiled per execution")
        self.sql: Final = str(compiled)
        self._defaults: Final = {
            name: bind.effective_value for bind, name in binds.items() if not bind.required
        }
        processors: dict[str, Callable[[Any], Any]] = {}
        for bind, name in binds.items():
            processor = bind.type.dialect_impl(_DIALECT).bind_processor(_DIALECT)
            if processor is not None:
                processors[name] = processor
        self._processors: Final = processors

    def parameters(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The statement's own values with `values` over them, processed for the driver."""
        bound = self._defaults | dict(values) if self._defaults else dict(values)
        for name, process in self._processors.items():
            if name in bound:
                bound[name] = process(bound[name])
        return bound

    async def rows(self, driver: Driver, values: Mapping[str, Any]) -> list[DictRow]:
        """Every row the statement returns, as dicts keyed by column label."""
        async with driver.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(self.sql, self.parameters(values))
            return await cursor.fetchall()

    async def first(self, driver: Driver, values: Mapping[str, Any]) -> DictRow | None:
        """The first row the statement returns, or None when it returns none."""
        async with driver.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(self.sql, self.parameters(values))
            return await cursor.fetchone()

    async def scalar(self, driver: Driver, values: Mapping[str, Any]) -> Any:
        """The first column of the first row, or None when there is no row."""
        async with driver.cursor() as cursor:
            await cursor.execute(self.sql, self.parameters(values))
            row = await cursor.fetchone()
            return None if row is None else row[0]

    async def rowcount(self, driver: Driver, values: Mapping[str, Any]) -> int:
        """How many rows an UPDATE or DELETE touched."""
        async with driver.cursor() as cursor:
            await cursor.execute(self.sql, self.parameters(values))
            return cursor.rowcount


@asynccontextmanager
async def savepoint(driver: Driver) -> AsyncIterator[None]:
    """Undo only the block's statements when it fails, keeping the transaction usable.

    Plain SAVEPOINT statements rather than psycopg's `transaction()`, which
    would open and commit a transaction of its own when none has begun yet;
    here the unit of work decides when to commit, and psycopg opens the
    transaction before the SAVEPOINT as it does before any first statement.
    """
    await driver.execute("SAVEPOINT repository_write")
    try:
        yield
    except BaseException:
        await driver.execute("ROLLBACK TO SAVEPOINT repository_write")
        raise
    await driver.execute("RELEASE SAVEPOINT repository_write")
