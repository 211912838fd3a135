"""A transaction on one pooled connection."""

from types import TracebackType
from typing import Self

from psycopg.errors import QueryCanceled
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.errors import StorageTimeoutError, StorageUnavailableError
from infrastructure.persistence.errors import is_unavailability
from infrastructure.persistence.gate import ConnectionGate
from infrastructure.persistence.idempotency import SqlAlchemyIdempotencyKeyRepository
from infrastructure.persistence.posts import SqlAlchemyPostRepository
from infrastructure.persistence.users import SqlAlchemyUserRepository


def _unavailability(error: BaseException) -> StorageUnavailableError:
    """The retryable error to raise for `error`: a statement past its timeout says so."""
    if isinstance(error, DBAPIError) and isinstance(error.orig, QueryCanceled):
        return StorageTimeoutError()
    return StorageUnavailableError()


class SqlAlchemyUnitOfWork:
    """Checks a connection out of the pool for the length of an `async with` block.

    Core connections rather than ORM sessions: the repositories exchange
    plain entities with the database, so a session's identity map and
    flush machinery would only add cost.

    A database that cannot be reached, a connection lost midway and a pool
    with no free connection within its timeout all leave the block as
    StorageUnavailableError, which callers can retry, instead of as driver
    errors; a statement cancelled by `statement_timeout` leaves it as
    StorageTimeoutError, its kind.

    With a `replica` engine, blocks opened with `reading(may_lag=True)` run
    there; everything else runs on the primary `engine`. With a gate for an
    engine (the container gives one per engine), units of work queue for its
    pool in arrival order; see ConnectionGate for why.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        gate: ConnectionGate | None = None,
        *,
        replica: AsyncEngine | None = None,
        replica_gate: ConnectionGate | None = None,
    ) -> None:
        self._primary = (engine, gate)
        self._replica = None if replica is None else (replica, replica_gate)
        self._next = self._primary
        self._gate: ConnectionGate | None = None
        self._connection: AsyncConnection | None = None
        self._users: SqlAlchemyUserRepository | None = None
        self._posts: SqlAlchemyPostRepository | None = None
        self._idempotency_keys: SqlAlchemyIdempotencyKeyRepository | None = None
        self._read_only = False

    def reading(self, *, may_lag: bool = False) -> Self:
        self._read_only = True
        if may_lag and self._replica is not None:
            self._next = self._replica
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

    @property
    def idempotency_keys(self) -> SqlAlchemyIdempotencyKeyRepository:
        if self._idempotency_keys is None:
            raise RuntimeError("the unit of work is used outside `async with`")
        return self._idempotency_keys

    async def __aenter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("the unit of work is already in use")
        (engine, gate), self._next = self._next, self._primary
        await self._enter_gate(gate)
        try:
            connection = await engine.connect()
        except Exception as error:
            self._leave_gate()
            self._read_only = False
            if is_unavailability(error):
                raise _unavailability(error) from error
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
            if is_unavailability(error):
                raise _unavailability(error) from error
            raise
        self._connection = connection
        self._users = SqlAlchemyUserRepository(connection)
        self._posts = SqlAlchemyPostRepository(connection)
        self._idempotency_keys = SqlAlchemyIdempotencyKeyRepository(connection)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection, read_only = self._connection, self._read_only
        self._connection, self._users, self._posts = None, None, None
        self._idempotency_keys = None
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
        if exc is not None and is_unavailability(exc):
            raise _unavailability(exc) from exc

    async def _enter_gate(self, gate: ConnectionGate | None) -> None:
        if gate is None:
            return
        try:
            await gate.enter()
        except TimeoutError as error:
            self._read_only = False
            raise StorageUnavailableError from error
        self._gate = gate

    def _leave_gate(self) -> None:
        gate, self._gate = self._gate, None
        if gate is not None:
            gate.leave()

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
