"""The FastAPI application factory."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from infrastructure.container import (
    CONSOLE_MAIL_WARNING,
    IN_PROCESS_WARNING,
    Container,
    running,
    trace_use_cases,
)
from interfaces.http.admin.router import router as admin_router
from interfaces.http.auth.router import router as auth_router
from interfaces.http.errors import register_error_handlers
from interfaces.http.header_limits import HeaderLimits
from interfaces.http.headers import install_cors
from interfaces.http.health import router as health_router
from interfaces.http.idempotency import RequestFingerprints
from interfaces.http.metrics import router as metrics_router
from interfaces.http.middleware import RequestEnvelopeMiddleware
from interfaces.http.openapi import install_openapi
from interfaces.http.pages.router import router as pages_router
from interfaces.http.pagination import CursorCodec, Paging
from interfaces.http.posts.router import router as posts_router
from interfaces.http.sessions.router import router as sessions_router
from interfaces.http.users.router import router as users_router

DESCRIPTION = """
Users and their posts, over PostgreSQL.

* **Errors** are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) problem
  documents (`application/problem+json`); a 422 lists the invalid fields
  (the first 20, and how many more).
* **Authentication**: `POST /auth/token` with a username (or email) and a
  password gives a bearer token; the *Authorize* button does it for you.
* **Limits**: request bodies up to 1 MiB; headers up to 8 KiB each and 32 KiB in all
  (by default; past them a 431); a query parameter given twice is a 422.
  Logging in and registering are rate-limited per client address (429 with
  `Retry-After`).
* **Safe retries**: `POST /users/` and `POST /posts/` take an `Idempotency-Key`
  header; a repeat with the same key and body gets the first answer again.
"""

logger = logging.getLogger(__name__)

ROUTERS: Final = (
    users_router,
    posts_router,
    sessions_router,
    auth_router,
    admin_router,
    health_router,
    metrics_router,
    pages_router,
)
"""Every operation, the busiest first: a request is matched against the routes in order.
No two routers serve one path, so the order decides nothing else."""


def create_app(container: Container | None = None) -> FastAPI:
    """Build the app around `container`, or around one configured from the environment.

    uvicorn calls it with no argument (`--factory`); tests pass a container of
    their own, so each gets fresh state and its own overrides.
    """
    container = container if container is not None else Container()
    settings = container.settings()
    if settings.rate_limit_backend == "memory":
        logger.warning(IN_PROCESS_WARNING)
    if settings.environment == "production" and settings.mail_transport == "console":
        logger.warning(CONSOLE_MAIL_WARNING)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running(container):
            # The outbox's sender, one per serving process (see MailDispatcher).
            mail = container.mail_dispatcher()
            mail.start()
            try:
                yield
            finally:
                await mail.stop()
        if container.settings().rate_limit_backend == "redis":
            container.redis_pool().disconnect()

    # FastAPIOffline serves Swagger UI's and ReDoc's files itself: /docs and
    # /redoc work with no access to a CDN.
    app = FastAPIOffline(
        title="Users and posts",
        version="0.1.0",
        summary="A REST backend for users and posts, on PostgreSQL.",
        description=DESCRIPTION,
        lifespan=lifespan,
        # Starlette's redirect to the other form of a path writes the request's Host into
        # Location; collections answer at both forms instead (see `collection_route`).
        redirect_slashes=False,
    )
    app.state.container = container
    app.state.paging = Paging(
        CursorCodec(settings.jwt_secret.get_secret_value()),
        max_skip=settings.max_skip,
        base_url=None if settings.public_base_url is None else str(settings.public_base_url),
    )
    app.state.request_fingerprints = RequestFingerprints(
        container.settings().jwt_secret.get_secret_value()
    )
    app.state.metrics = container.metrics()
    register_error_handlers(app)
    install_cors(
        app,
        origins=settings.cors_allow_origins,
        methods=settings.cors_allow_methods,
        headers=settings.cors_allow_headers,
    )
    tracing = container.tracing()
    # Added last, so outermost: the id is set before anything can log, 500s included,
    # and CORS answers (preflights too) carry the security headers.
    app.add_middleware(
        RequestEnvelopeMiddleware,
        metrics=app.state.metrics,
        behind_tls=settings.behind_tls,
        header_limits=HeaderLimits(one=settings.max_header_bytes, all=settings.max_headers_bytes),
        read_your_writes=container.read_your_writes(),
        tracing=tracing,
    )
    if tracing is not None:
        # The server span goes around the whole stack, the envelope and its access line too.
        tracing.instrument(app)
        trace_use_cases(container, tracing)
    # The routes themselves, not the routers: FastAPI matches an included router's routes
    # once to pick the router and again inside it, after walking every router before it.
    # A router's prefix and tags are already in its routes. The documentation's routes,
    # which FastAPI added first, go last: every request is matched against them in order.
    documentation = list(app.router.routes)
    app.router.routes[:] = [route for router in ROUTERS for route in router.routes]
    app.router.routes.extend(documentation)
    install_openapi(app, query_maximums={"skip": settings.max_skip})
    return app
