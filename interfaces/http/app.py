"""The FastAPI application factory."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from infrastructure.container import Container
from interfaces.http.auth.router import router as auth_router
from interfaces.http.errors import register_error_handlers
from interfaces.http.posts.router import router as posts_router
from interfaces.http.users.router import router as users_router


def create_app(container: Container | None = None) -> FastAPI:
    """Build the app around `container`, or around one configured from the environment.

    uvicorn calls it with no argument (`--factory`); tests pass a container of
    their own, so each gets fresh state and its own overrides.
    """
    container = container if container is not None else Container()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if container.settings().repository == "sqlalchemy":
            await container.engine().dispose()

    app = FastAPI(
        title="Users and posts",
        version="0.1.0",
        summary="A REST backend for users and posts, on PostgreSQL.",
        lifespan=lifespan,
    )
    app.state.container = container
    register_error_handlers(app)
    app.include_router(auth_router)
    app.include_router(users_router)
    app.include_router(posts_router)
    return app
