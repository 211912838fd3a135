"""The composition root: the one place that knows which adapter serves which port."""

from datetime import timedelta

from dependency_injector import containers, providers
from limits.aio.storage import MemoryStorage

from application.auth import AuthService
from application.idempotency import IdempotencyKeyService
from application.posts import PostService
from application.users import UserService
from infrastructure.memory import InMemoryStore, InMemoryUnitOfWork
from infrastructure.observability.health import InMemoryReadinessProbe, PostgresReadinessProbe
from infrastructure.observability.logging import logging_config, request_id
from infrastructure.observability.metrics import (
    EXPOSITION_CONTENT_TYPE,
    Metrics,
    share_between_workers,
)
from infrastructure.persistence.admin import DatabaseAdmin
from infrastructure.persistence.embedded import EmbeddedPostgresError, StopOutcome
from infrastructure.persistence.engine import (
    build_engine,
    build_gate,
    build_replica,
)
from infrastructure.persistence.migrator import DatabaseUnreachableError, SchemaOutdatedError
from infrastructure.persistence.schema import SCHEMA_HEAD
from infrastructure.persistence.unit_of_work import SqlAlchemyUnitOfWork
from infrastructure.ratelimit import (
    IN_PROCESS_WARNING,
    PostgresStorage,
    RateLimits,
    redis_pool,
    redis_storage,
)
from infrastructure.security.executor import BoundedExecutor
from infrastructure.security.passwords import Argon2PasswordHasher
from infrastructure.security.strength import ZxcvbnPasswordStrength
from infrastructure.security.tokens import JwtTokenIssuer
from infrastructure.settings import Settings


class Container(containers.DeclarativeContainer):
    """Builds the services; `REPOSITORY` picks PostgreSQL or the in-memory adapter.

    Tests and embedding applications swap adapters with the library's own
    overriding, e.g. ``container.uow.override(providers.Factory(InMemoryUnitOfWork, store))``.
    """

    settings = providers.Singleton(Settings)

    engine = providers.Singleton(build_engine, settings)
    # None unless DATABASE_REPLICA_URL is set; the reads that may lag go there.
    replica = providers.Singleton(build_replica, settings)
    replica_engine = replica.provided.engine
    connection_gate = providers.Singleton(build_gate, settings)
    replica_gate = replica.provided.gate
    memory_store = providers.Singleton(InMemoryStore)

    uow = providers.Selector(
        settings.provided.repository,
        sqlalchemy=providers.Factory(
            SqlAlchemyUnitOfWork,
            engine,
            connection_gate,
            replica=replica_engine,
            replica_gate=replica_gate,
        ),
        memory=providers.Factory(InMemoryUnitOfWork, memory_store),
    )

    readiness = providers.Selector(
        settings.provided.repository,
        sqlalchemy=providers.Singleton(
            PostgresReadinessProbe,
            engine,
            replica=replica_engine,
            expected_revision=SCHEMA_HEAD,
            timeout=settings.provided.health_timeout,
        ),
        memory=providers.Singleton(InMemoryReadinessProbe),
    )

    password_hash_executor = providers.Singleton(
        BoundedExecutor,
        concurrency=settings.provided.password_hash_concurrency,
        queue=settings.provided.password_hash_queue,
        name="argon2",
    )
    password_hasher = providers.Singleton(
        Argon2PasswordHasher,
        time_cost=settings.provided.password_hash_time_cost,
        memory_cost=settings.provided.password_hash_memory_cost,
        parallelism=settings.provided.password_hash_parallelism,
        executor=password_hash_executor,
    )
    # Its own thread and queue (see ZxcvbnPasswordStrength); the queue is the hashes' size.
    password_strength_executor = providers.Singleton(
        BoundedExecutor, concurrency=1, queue=settings.provided.password_hash_queue, name="zxcvbn"
    )
    password_strength = providers.Singleton(
        ZxcvbnPasswordStrength,
        min_score=settings.provided.password_min_strength,
        executor=password_strength_executor,
    )

    token_issuer = providers.Singleton(JwtTokenIssuer.from_settings, settings)

    redis_pool = providers.Singleton(redis_pool, settings.provided.rate_limit_storage)
    # RATE_LIMIT_STORAGE, or the store that suits REPOSITORY when it is unset.
    rate_limit_storage = providers.Selector(
        settings.provided.rate_limit_backend,
        postgres=providers.Singleton(PostgresStorage, engine),
        redis=providers.Singleton(redis_storage, settings.provided.rate_limit_storage, redis_pool),
        memory=providers.Singleton(MemoryStorage),
    )
    rate_limits = providers.Singleton(RateLimits.from_settings, settings, rate_limit_storage)

    idempotency_key_lifetime = providers.Singleton(
        timedelta, hours=settings.provided.idempotency_key_ttl_hours
    )

    user_service = providers.Factory(
        UserService,
        uow=uow,
        password_hasher=password_hasher,
        password_strength=password_strength,
        idempotency_key_lifetime=idempotency_key_lifetime,
    )
    post_service = providers.Factory(
        PostService, uow=uow, idempotency_key_lifetime=idempotency_key_lifetime
    )
    idempotency_key_service = providers.Factory(IdempotencyKeyService, uow=uow)
    auth_service = providers.Factory(
        AuthService, uow=uow, password_hasher=password_hasher, tokens=token_issuer
    )

    # What the command line asks for besides the services, so that it reaches
    # no adapter itself.
    database_admin = providers.Factory(DatabaseAdmin, settings)
    logging_config = providers.Singleton(
        logging_config, log_format=settings.provided.log_format, level=settings.provided.log_level
    )
    share_metrics_between_workers = providers.Callable(share_between_workers)


def build_container(settings: Settings | None = None) -> Container:
    """A container reading the environment, or bound to `settings` when given.

    For code outside the container's own module that has settings in hand
    (the command line, tests) and should not need the DI library for it.
    """
    container = Container()
    if settings is not None:
        container.settings.override(providers.Object(settings))
    return container


# The interfaces import nothing else from infrastructure (import-linter holds
# them to it): what they use, they ask a provider for, and these are the few
# names they must spell themselves: the errors the command line turns into
# exit codes and what `db stop` found, what the HTTP layer records into for
# every request, and the warning the app logs when rate limits count in
# process memory.
__all__ = [
    "EXPOSITION_CONTENT_TYPE",
    "IN_PROCESS_WARNING",
    "Container",
    "DatabaseUnreachableError",
    "EmbeddedPostgresError",
    "Metrics",
    "SchemaOutdatedError",
    "StopOutcome",
    "build_container",
    "request_id",
]
