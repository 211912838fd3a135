"""A transaction on one pooled connection."""

from types import TracebackType
from typing import Self, cast

from sqlalchemy.engine.interfaces import PoolProxiedConnection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from domain.errors import StorageTimeoutError, StorageUnavailableError
from infrastructure.persistence.errors import is_statement_timeout, is_unavailability
from infrastructure.persistence.gate import ConnectionGate
from infrastructure.persistence.idempotency import SqlAlchemyIdempotencyKeyRepository
from infrastructure.persistence.posts import SqlAlchemyPostRepository
from infrastructure.persistence.statements import Driver
from infrastructure.persistence.users import SqlAlchemyUserRepository


def _unavailability(error: BaseException) -> StorageUnavailableError:
    """The retryable error to raise for `error`: a statement past its timeout says so."""
    return StorageTimeoutError() if is_statement_timeout(error) else StorageUnavailableError()


class SqlAlchemyUnitOfWork:
    """Checks a connection out of the pool for the length of an `async with` block.

    The repositories run their compiled Core statements on the psycopg
    connection inside the pooled one (see `statements`), so the unit of work
    holds that pair rather than a SQLAlchemy `AsyncConnection`: the pool
    (its size, pre-ping, invalidation and metrics) stays SQLAlchemy's, and
    nothing else sits between a request and psycopg. A writing unit of work
    is a psycopg transaction, begun by the first statement and rolled back
    on leaving unless committed; a reading one runs in autocommit, each
    statement alone, with no BEGIN or ROLLBACK round trips.

    A database that cannot be reached, a connection lost midway and a pool
    with no free connection within its timeout all leave the block as
    StorageUnavailableError, which callers can retry, instead of as driver
    errors; a statement cancelled by `statement_timeout` leaves it as
    StorageTimeoutError, its kind. A connection that broke is invalidated,
    never handed to the next request.

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
        self._pooled: PoolProxiedConnection | None = None
        self._driver: Driver | None = None
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
        if self._pooled is not None:
            raise RuntimeError("the unit of work is already in use")
        (engine, gate), self._next = self._next, self._primary
        await self._enter_gate(gate)
        try:
            pooled = await engine.raw_connection()
        except Exception as error:
            self._leave_gate()
            self._read_only = False
            if is_unavailability(error):
                raise _unavailability(error) from error
            raise
        # The psycopg AsyncConnection under SQLAlchemy's adapter; None only once closed.
        driver = cast("Driver", pooled.driver_connection)
        if self._read_only:
            try:
                # Given back with autocommit off again: other users of the pool expect it.
                await driver.set_autocommit(True)
            except BaseException as error:
                await _discard(pooled)
                self._leave_gate()
                self._read_only = False
                if is_unavailability(error):
                    raise _unavailability(error) from error
                raise
        self._pooled, self._driver = pooled, driver
        self._users = SqlAlchemyUserRepository(driver)
        self._posts = SqlAlchemyPostRepository(driver)
        self._idempotency_keys = SqlAlchemyIdempotencyKeyRepository(driver)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        pooled, driver, read_only = self._pooled, self._driver, self._read_only
        self._pooled, self._driver, self._read_only = None, None, False
        self._users, self._posts, self._idempotency_keys = None, None, None
        if pooled is None or driver is None:
            return
        try:
            if read_only:
                await driver.set_autocommit(False)
            else:
                # Nothing to undo after a commit: psycopg then sends no ROLLBACK.
                await driver.rollback()
        except Exception as error:
            await _discard(pooled)
            if exc is None:
                if is_unavailability(error):
                    raise _unavailability(error) from error
                raise
        else:
            if driver.broken or driver.closed:
                await _discard(pooled)
            else:
                await greenlet_spawn(pooled.close)
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

    def _active(self) -> Driver:
        if self._driver is None:
            raise RuntimeError("the unit of work is used outside `async with`")
        return self._driver


async def _discard(pooled: PoolProxiedConnection) -> None:
    """Close a connection that failed and keep it out of the pool; it may be gone already."""
    try:
        await greenlet_spawn(pooled.invalidate)
    except Exception:
        return
