"""The pooled connection one block of work holds, and that its repositories reach it through."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from infrastructure.persistence.statements import Connection


class Lease:
    """A connection lent to one block, and taken back when the block ends.

    The repositories hold the lease rather than the connection: once the
    connection is back in the pool, where another request may have it, a
    repository kept past its block fails instead of running a statement on it.
    """

    __slots__ = ("_connection",)

    def __init__(self) -> None:
        self._connection: Connection | None = None

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("the repository is used outside its `async with` block")
        return self._connection

    def lend(self, connection: Connection) -> None:
        self._connection = connection

    def take_back(self) -> Connection | None:
        connection, self._connection = self._connection, None
        return connection


@asynccontextmanager
async def savepoint(connection: Connection) -> AsyncIterator[None]:
    """Undo only the block's statements when it fails, keeping the transaction usable.

    Plain SAVEPOINT statements rather than psycopg's `transaction()`, which
    would commit on leaving; here the use case decides when to commit, and
    psycopg opens the transaction before the SAVEPOINT as it does before any
    first statement.
    """
    await connection.execute("SAVEPOINT repository_write")
    try:
        yield
    except BaseException:
        await connection.execute("ROLLBACK TO SAVEPOINT repository_write")
        raise
    await connection.execute("RELEASE SAVEPOINT repository_write")
