"""A transaction on one pooled connection."""

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from infrastructure.persistence.posts import SqlAlchemyPostRepository
from infrastructure.persistence.users import SqlAlchemyUserRepository


class SqlAlchemyUnitOfWork:
    """Checks a connection out of the pool for the length of an `async with` block.

    Core connections rather than ORM sessions: the repositories exchange
    plain entities with the database, so a session's identity map and
    flush machinery would only add cost.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._users: SqlAlchemyUserRepository | None = None
        self._posts: SqlAlchemyPostRepository | None = None

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
        connection = await self._engine.connect()
        try:
            await connection.begin()
        except BaseException:
            await connection.close()
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
        connection = self._connection
        self._connection, self._users, self._posts = None, None, None
        if connection is None:
            return
        try:
            await connection.rollback()
        finally:
            await connection.close()

    async def commit(self) -> None:
        await self._active().commit()

    async def rollback(self) -> None:
        await self._active().rollback()

    def _active(self) -> AsyncConnection:
        if self._connection is None:
            raise RuntimeError("the unit of work is used outside `async with`")
        return self._connection
