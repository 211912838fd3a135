"""The ladder's middle rungs: GET /users/{id} in FastAPI, on the floor's pool, then on SQLAlchemy.

Between the floor (bare ASGI) and the service, these two apps show how much
of the gap FastAPI alone takes (routing, the path parameter's validation, the
`response_model`), and how much SQLAlchemy's async engine adds on top, before
the service's middleware, dependencies and layers. They run the floor's SQL
and answer with the service's own response model.

Each is a uvicorn factory:
`DATABASE_URL=... uvicorn benchmarks.ladder_apps:fastapi_app --factory`.
Each settles the garbage collector as `serve` does for the service, so that a
rung differs from the next by its layer alone.
"""

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any, Final

from fastapi import FastAPI, HTTPException, Path
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from benchmarks.floor import MAX_ID, POOL_MAX, POOL_MIN, SELECT_USER, libpq_url
from infrastructure.persistence.tables import users
from infrastructure.settings import to_sqlalchemy_url
from interfaces.http.serving import settle_garbage_collector
from interfaces.http.users.schemas import UserPublic

ENGINE_POOL_SIZE: Final = 20
"""The service's pool: DB_POOL_SIZE 20, DB_MAX_OVERFLOW 0."""

SELECT_USER_CORE: Final = select(
    users.c.id,
    users.c.email,
    users.c.username,
    users.c.password_hash,
    users.c.created_at,
    users.c.updated_at,
).where(users.c.id == bindparam("user_id"))
"""The floor's SELECT_USER as a Core statement, built once as the service builds its own."""

UserId = Annotated[int, Path(ge=1, le=MAX_ID)]
Fetch = Callable[[int], Awaitable[Sequence[Any] | None]]
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def _user(row: Sequence[Any]) -> UserPublic:
    user_id, _email, username, _hash, created_at, _updated_at = row
    return UserPublic(id=user_id, username=username, created_at=created_at)


def users_app(fetch: Fetch, lifespan: Lifespan) -> FastAPI:
    """One route, the same in both apps: only where its row comes from differs."""
    app = FastAPI(lifespan=lifespan)

    @app.get("/users/{user_id}", response_model=UserPublic)
    async def get_user(user_id: UserId) -> UserPublic:
        row = await fetch(user_id)
        if row is None:
            raise HTTPException(status_code=404, detail="User not found")
        return _user(row)

    settle_garbage_collector()
    return app


def fastapi_app() -> FastAPI:
    """FastAPI on a psycopg pool opened as the floor opens its own."""
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        libpq_url(os.environ["DATABASE_URL"]),
        min_size=POOL_MIN,
        max_size=POOL_MAX,
        kwargs={"autocommit": True},
        open=False,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await pool.open(wait=True, timeout=30)
        yield
        await pool.close()

    async def fetch(user_id: int) -> Sequence[Any] | None:
        async with pool.connection() as connection:
            cursor = await connection.execute(SELECT_USER, (user_id,))
            row: Sequence[Any] | None = await cursor.fetchone()
            return row

    return users_app(fetch, lifespan)


def fastapi_sqlalchemy_app() -> FastAPI:
    """FastAPI on SQLAlchemy's AsyncEngine, without the service's unit of work or pre-ping
    check: each statement in autocommit, as the floor runs it."""
    engine: AsyncEngine = create_async_engine(
        to_sqlalchemy_url(os.environ["DATABASE_URL"]),
        pool_size=ENGINE_POOL_SIZE,
        max_overflow=0,
        isolation_level="AUTOCOMMIT",
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    async def fetch(user_id: int) -> Sequence[Any] | None:
        async with engine.connect() as connection:
            result = await connection.execute(SELECT_USER_CORE, {"user_id": user_id})
            return result.first()

    return users_app(fetch, lifespan)
