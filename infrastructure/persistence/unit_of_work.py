"""A transaction on one pooled connection."""

from types import TracebackType
from typing import Self

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.errors import StorageUnavailableError
from infrastructure.persistence.gate import ConnectionGate
from infrastructure.persistence.posts import SqlAlchemyPostRepository
from infrastructure.persistence.users import SqlAlchemyUserRepository


def _is_unavailability(error: BaseException) -> bool:
    """Whether an error means "the database is out of reach", not "this request is wrong"."""
    if isinstance(error, PoolTimeoutError | OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


class SqlAlchemyUnitOfWork:
    """Checks a connection out of the pool for the length of an `async with` block.

    Core connections rather than ORM sessions: the repositories exchange
    plain entities with the database, so a session's identity map and
    flush machinery would only add cost.

    A database that cannot be reached, a connection lost midway and a pool
    with no free connection within its timeout all leave the block as
    StorageUnavailableError, which callers can retry, instead of as driver
    errors.

    With a `gate` (the container gives one per engine), units of work queue
    for the pool in arrival order; see ConnectionGate for why.
    """

    def __init__(self, engine: AsyncEngine, gate: ConnectionGate | None = None) -> None:
        self._engine = engine
        self._gate = gate
        self._connection: AsyncConnection | None = None
        self._users: SqlAlchemyUserRepository | None = None
        self._posts: SqlAlchemyPostRepository | None = None
        self._read_only = False

    def reading(self) -> Self:
        self._read_only = True
        return self

    @property
    def users(self) -> SqlAlchemyUserRepository:
        if self._users is None:
            raise RuntimeError("the unit of work is used outside `async with`")
        return self._users

    @property
    def posts(self) -> SqlAlchemyPostRepository:
        if self._posts is None:
            raise RuntimeError("the unit of work is used outside `async with`")
        return self._posts

    async def __aenter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("the unit of work is already in use")
        await self._enter_gate()
        try:
            connection = await self._engine.connect()
        except Exception as error:
            self._leave_gate()
            self._read_only = False
            if _is_unavailability(error):
                raise StorageUnavailableError from error
            raise
        try:
            if self._read_only:
                # psycopg's autocommit: each statement alone, no BEGIN/ROLLBACK round trips.
                # SQLAlchemy restores the connection's default when it goes back to the pool.
                await connection.execution_options(isolation_level="AUTOCOMMIT")
            else:
                await connection.begin()
        except BaseException as error:
            try:
                await connection.close()
            finally:
                self._leave_gate()
            if _is_unavailability(error):
                raise StorageUnavailableError from error
            raise
        self._connection = connection
        self._users = SqlAlchemyUserRepository(connection)
        self._posts = SqlAlchemyPostRepository(connection)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection, read_only = self._connection, self._read_only
        self._connection, self._users, self._posts = None, None, None
        self._read_only = False
        if connection is None:
            return
        try:
            if not read_only:
                await connection.rollback()
            await connection.close()
        except Exception:
            if exc is None:
                raise
            # The connection died with the work; the error that killed it is the story.
            await connection.invalidate()
        finally:
            self._leave_gate()
        if exc is not None and _is_unavailability(exc):
            raise StorageUnavailableError from exc

    async def _enter_gate(self) -> None:
        if self._gate is None:
            return
        try:
            await self._gate.enter()
        except TimeoutError as error:
            self._read_only = False
            raise StorageUnavailableError from error

    def _leave_gate(self) -> None:
        if self._gate is not None:
            self._gate.leave()

    async def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("a unit of work opened with reading() cannot commit")
        await self._active().commit()

    async def rollback(self) -> None:
        await self._active().rollback()

    def _active(self) -> AsyncConnection:
        if self._connection is None:
            raise RuntimeError("the unit of work is used outside `async with`")
        return self._connection
