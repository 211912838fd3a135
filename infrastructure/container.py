"""The composition root: the one place that knows which adapter serves which port."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING

from dependency_injector import containers, providers
from limits.aio.storage import MemoryStorage

from application.accounts.password_reset import PasswordResetService
from application.accounts.verification import EmailVerificationService
from application.admin import AdminService
from application.auth import AuthService
from application.idempotency import IdempotencyKeyService
from application.mail.letters import Letters
from application.mail.ports import DeliveryTracing
from application.mail.sender import UNTRACED, Delivery, OutboxSender
from application.mail.upkeep import MailUpkeep
from application.posts import PostService
from application.sessions import SessionService
from application.users import UserService
from infrastructure.mail.composer import TemplateComposer
from infrastructure.mail.console import PRODUCTION_WARNING as CONSOLE_MAIL_WARNING
from infrastructure.mail.console import ConsoleMailer
from infrastructure.mail.dispatcher import MailDispatcher
from infrastructure.mail.smtp import SmtpMailer
from infrastructure.memory import InMemoryStore, InMemoryUnitOfWork
from infrastructure.observability.health import InMemoryReadinessProbe, PostgresReadinessProbe
from infrastructure.observability.logging import logging_config, request_id
from infrastructure.observability.metrics import (
    EXPOSITION_CONTENT_TYPE,
    Metrics,
    PoolStats,
    share_between_workers,
)
from infrastructure.persistence.admin import DatabaseAdmin
from infrastructure.persistence.caller_position import ReadYourWrites
from infrastructure.persistence.database import Databases, build_databases
from infrastructure.persistence.embedded import EmbeddedPostgresError, StopOutcome
from infrastructure.persistence.migrator import DatabaseUnreachableError, SchemaOutdatedError
from infrastructure.persistence.replica import ReadRouting, build_routing
from infrastructure.persistence.schema import SCHEMA_HEAD
from infrastructure.persistence.unit_of_work import PostgresUnitOfWork
from infrastructure.ratelimit import (
    IN_PROCESS_WARNING,
    PostgresStorage,
    RateLimits,
    redis_pool,
    redis_storage,
)
from infrastructure.security.executor import BoundedExecutor
from infrastructure.security.mail_token_keys import HmacMailTokenKeys
from infrastructure.security.opaque_tokens import OpaqueTokens
from infrastructure.security.passwords import Argon2PasswordHasher
from infrastructure.security.strength import ZxcvbnPasswordStrength
from infrastructure.security.tokens import JwtTokenIssuer
from infrastructure.settings import Settings

if TYPE_CHECKING:
    # A type only (see `_tracing`), re-exported below for the HTTP layer's annotations.
    from infrastructure.observability.tracing import Tracing


def _tracing(settings: Settings) -> "Tracing | None":
    """The service's tracing, or None when the settings ask for no traces.

    The SDK, its exporter and the instrumentations are imported here, and
    only with traces on: they are about 6 MiB of each process's memory,
    which a process with traces off (the default) never uses.
    """
    if not settings.traces_exported:
        return None
    from infrastructure.observability.trace_export import (  # noqa: PLC0415 - see the docstring
        build_tracing,
    )

    return build_tracing(settings)


def _delivery_tracing(tracing: "Tracing | None") -> DeliveryTracing:
    return UNTRACED if tracing is None else tracing.mail_deliveries()


async def _database_life(
    repository: str, databases: Callable[[], Databases], routing: Callable[[], ReadRouting]
) -> AsyncIterator[None]:
    """The pools' life, and the replica probe's: opened by `init_resources()`, closed by
    `shutdown_resources()`.

    Given the providers rather than the pools, so that REPOSITORY=memory
    builds none.
    """
    if repository != "postgres":
        yield
        return
    opened = databases()
    await opened.open()
    routes = routing()
    routes.open()
    try:
        yield
    finally:
        await routes.close()
        await opened.close()


def _metrics(
    settings: Settings, databases: Callable[[], Databases], routing: Callable[[], ReadRouting]
) -> Metrics:
    """An app's metrics, with gauges for each pool this configuration has.

    Given the provider rather than the pools, so that an app on the in-memory
    adapter (or one whose unit of work a test swapped for it) builds none.
    """
    if settings.repository != "postgres" or settings.database_url is None:
        return Metrics()

    def primary() -> PoolStats | None:
        return databases().primary.stats()

    def replica() -> PoolStats | None:
        database = databases().replica
        return None if database is None else database.stats()

    if settings.database_replica_url is None:
        return Metrics(pool_stats=primary)
    return Metrics(
        pool_stats=primary, replica_pool_stats=replica, replica=lambda: routing().figures()
    )


def _smtp_mailer(settings: Settings) -> SmtpMailer:
    password = settings.smtp_password
    return SmtpMailer(
        settings.smtp_host or "",
        settings.smtp_port,
        mail_from=settings.mail_from,
        username=settings.smtp_username,
        password=None if password is None else password.get_secret_value(),
        tls=settings.smtp_tls,
        timeout=settings.smtp_timeout,
    )


def _delivery(settings: Settings) -> Delivery:
    return Delivery(
        first_retry=timedelta(seconds=settings.mail_retry_seconds),
        max_attempts=settings.mail_max_attempts,
        attempt_timeout=timedelta(seconds=settings.smtp_timeout),
    )


def _read_your_writes(settings: Settings) -> ReadYourWrites | None:
    """The cookie that keeps a caller's reads behind its own writes; none without a replica."""
    if settings.repository != "postgres" or settings.database_replica_url is None:
        return None
    return ReadYourWrites(
        max_lag_seconds=settings.replica_max_lag_seconds, secure=settings.behind_tls
    )


class Container(containers.DeclarativeContainer):
    """Builds the services; `REPOSITORY` picks PostgreSQL or the in-memory adapter.

    Tests and embedding applications swap adapters with the library's own
    overriding, e.g. ``container.uow.override(providers.Factory(InMemoryUnitOfWork, store))``.

    The container owns what must be opened and closed: `await
    container.init_resources()` opens the connection pools (returning at once,
    whether or not PostgreSQL answers yet) and `await
    container.shutdown_resources()` closes them. Nothing else builds a pool.
    The pools themselves are plain Singletons, so services are built the same
    before the pools open as after; until then a request that needs the
    database gets the pool's refusal, a 503.
    """

    settings = providers.Singleton(Settings)
    # None unless the OTEL_* settings ask for traces; a Singleton caches no None, so
    # off it is the settings' check again, asked for only while the app is built.
    tracing = providers.Singleton(_tracing, settings)

    # The primary's pool and, with DATABASE_REPLICA_URL, the replica's (reads that may lag).
    databases = providers.Singleton(build_databases, settings, tracing)
    primary_database = databases.provided.primary
    # Which database serves each read that may lag (the replica's lag probed in the background).
    read_routing = providers.Singleton(
        build_routing,
        databases,
        max_lag_seconds=settings.provided.replica_max_lag_seconds,
        expected_revision=SCHEMA_HEAD,
        timeout=settings.provided.health_timeout,
    )
    database_life = providers.Resource(
        _database_life, settings.provided.repository, databases.provider, read_routing.provider
    )
    memory_store = providers.Singleton(InMemoryStore)

    # One for the process: a unit of work holds no state, each block is an object of its own.
    uow = providers.Selector(
        settings.provided.repository,
        postgres=providers.Singleton(PostgresUnitOfWork, databases, read_routing),
        memory=providers.Singleton(InMemoryUnitOfWork, memory_store),
    )

    readiness = providers.Selector(
        settings.provided.repository,
        postgres=providers.Singleton(
            PostgresReadinessProbe,
            databases,
            expected_revision=SCHEMA_HEAD,
            timeout=settings.provided.health_timeout,
            routing=read_routing,
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
    refresh_tokens = providers.Singleton(OpaqueTokens)
    session_lifetime = providers.Singleton(
        timedelta, days=settings.provided.refresh_token_expire_days
    )

    redis_pool = providers.Singleton(redis_pool, settings.provided.rate_limit_storage)
    # RATE_LIMIT_STORAGE, or the store that suits REPOSITORY when it is unset.
    rate_limit_storage = providers.Selector(
        settings.provided.rate_limit_backend,
        postgres=providers.Singleton(PostgresStorage, primary_database),
        redis=providers.Singleton(redis_storage, settings.provided.rate_limit_storage, redis_pool),
        memory=providers.Singleton(MemoryStorage),
    )
    rate_limits = providers.Singleton(RateLimits.from_settings, settings, rate_limit_storage)

    idempotency_key_lifetime = providers.Singleton(
        timedelta, hours=settings.provided.idempotency_key_ttl_hours
    )

    # Mail: owed in the transactions of the use cases (`letters`), delivered from the outbox
    # by one sender per serving process (`mail_dispatcher`, started by the app).
    mail_token_keys = providers.Singleton(
        lambda settings: HmacMailTokenKeys(settings.jwt_secret.get_secret_value()), settings
    )
    mailer = providers.Selector(
        settings.provided.mail_transport,
        smtp=providers.Singleton(_smtp_mailer, settings),
        console=providers.Singleton(ConsoleMailer),
    )
    mail_composer = providers.Singleton(
        TemplateComposer,
        service_name=settings.provided.service_name,
        public_base_url=settings.provided.mail_link_base,
        mail_from=settings.provided.mail_from,
    )
    outbox_sender = providers.Factory(
        OutboxSender,
        uow,
        mailer,
        mail_composer,
        mail_token_keys,
        delivery=providers.Singleton(_delivery, settings),
        tracing=providers.Callable(_delivery_tracing, tracing),
    )
    mail_dispatcher = providers.Singleton(
        MailDispatcher, outbox_sender, poll_seconds=settings.provided.mail_poll_seconds
    )
    letters = providers.Singleton(
        Letters,
        mail_token_keys,
        verification_lifetime=providers.Singleton(
            timedelta, hours=settings.provided.email_verification_hours
        ),
        reset_lifetime=providers.Singleton(
            timedelta, minutes=settings.provided.password_reset_minutes
        ),
        wake=mail_dispatcher.provided.wake,
    )

    user_service = providers.Factory(
        UserService,
        uow=uow,
        password_hasher=password_hasher,
        password_strength=password_strength,
        letters=letters,
        idempotency_key_lifetime=idempotency_key_lifetime,
    )
    post_service = providers.Factory(
        PostService,
        uow=uow,
        require_verified_email=settings.provided.require_verified_email,
        idempotency_key_lifetime=idempotency_key_lifetime,
    )
    mail_upkeep = providers.Factory(MailUpkeep, uow=uow)
    email_verification_service = providers.Factory(
        EmailVerificationService, uow=uow, keys=mail_token_keys, letters=letters
    )
    password_reset_service = providers.Factory(
        PasswordResetService,
        uow=uow,
        password_hasher=password_hasher,
        password_strength=password_strength,
        keys=mail_token_keys,
        letters=letters,
    )
    idempotency_key_service = providers.Factory(IdempotencyKeyService, uow=uow)
    auth_service = providers.Factory(
        AuthService,
        uow=uow,
        password_hasher=password_hasher,
        tokens=token_issuer,
        secrets=refresh_tokens,
        session_lifetime=session_lifetime,
    )
    session_service = providers.Factory(SessionService, uow=uow)
    admin_service = providers.Factory(AdminService, uow=uow)

    # What the command line asks for besides the services, so that it reaches
    # no adapter itself.
    database_admin = providers.Factory(DatabaseAdmin, settings)
    logging_config = providers.Singleton(
        logging_config,
        log_format=settings.provided.log_format,
        level=settings.provided.log_level,
        traces=settings.provided.traces_exported,
    )
    share_metrics_between_workers = providers.Callable(share_between_workers)
    # One per app: each has a registry of its own, so that tests can build many.
    metrics = providers.Factory(_metrics, settings, databases.provider, read_routing.provider)
    read_your_writes = providers.Singleton(_read_your_writes, settings)


def build_container(
    settings: Settings | None = None, *, memory_store: InMemoryStore | None = None
) -> Container:
    """A container reading the environment, or bound to `settings` when given.

    For code outside the container's own module that has settings in hand
    (the command line, tests) and should not need the DI library for it.
    `memory_store`: the data REPOSITORY=memory serves, to share it or look into it.
    """
    container = Container()
    if settings is not None:
        container.settings.override(providers.Object(settings))
    if memory_store is not None:
        container.memory_store.override(providers.Object(memory_store))
    return container


def trace_use_cases(container: Container, tracing: "Tracing") -> None:
    """Run every use case of `container` inside a span of its own, from now on.

    Each service's provider is overridden by the same Factory, its result
    wrapped (`Tracing.use_cases`): done once, and only with traces on, so that
    without them the services are built and called exactly as before. Apply
    it before any test override of a service, which it would otherwise hide.
    """
    for provider in (
        container.user_service,
        container.post_service,
        container.idempotency_key_service,
        container.auth_service,
        container.session_service,
        container.admin_service,
        container.email_verification_service,
        container.password_reset_service,
    ):
        plain = providers.Factory(provider.cls, *provider.args, **provider.kwargs)
        provider.override(providers.Factory(tracing.use_cases, plain))


@asynccontextmanager
async def running(container: Container) -> AsyncIterator[Container]:
    """The container with its resources open (the connection pools), closed on leaving.

    The one way interfaces start and stop what the container owns: the HTTP
    app's lifespan and each command of the command line.
    """
    opening = container.init_resources()
    if opening is not None:
        await opening
    try:
        yield container
    finally:
        closing = container.shutdown_resources()
        if closing is not None:
            await closing
        tracing = container.tracing()
        if tracing is not None:
            await tracing.flush()


# The interfaces import nothing else from infrastructure (import-linter holds
# them to it): what they use, they ask a provider for, and these are the few
# names they must spell themselves: the errors the command line turns into
# exit codes and what `db stop` found, what the HTTP layer records into for every request
# and what runs the use cases in spans (`trace_use_cases`), the warnings the app logs
# when rate limits count in process memory or mail goes to the log in production, and
# the in-memory store that interfaces/testing.py hands to other projects' tests.
__all__ = [
    "CONSOLE_MAIL_WARNING",
    "EXPOSITION_CONTENT_TYPE",
    "IN_PROCESS_WARNING",
    "Container",
    "DatabaseUnreachableError",
    "EmbeddedPostgresError",
    "InMemoryStore",
    "Metrics",
    "ReadYourWrites",
    "SchemaOutdatedError",
    "StopOutcome",
    "build_container",
    "request_id",
    "running",
    "trace_use_cases",
]
if TYPE_CHECKING:
    # And the tracing the HTTP layer instruments itself with, for its annotations only:
    # a name of this module at run time, it would import the SDK with it.
    __all__ += ["Tracing"]
