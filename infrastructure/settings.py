"""Settings read from the environment and from `.env`.

Every field maps to an upper-case environment variable of the same name
(`DATABASE_URL`, `DB_POOL_SIZE`, ...); docs/settings.md lists them. Two rules
hold for every one of them: an empty value means the default, and a choice
(a `Literal` field) is read in any case and kept in its canonical spelling.
"""

import importlib.util
import zlib
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any, Final, Literal, get_args, get_origin

from limits import parse_many
from pydantic import (
    Field,
    HttpUrl,
    IPvAnyNetwork,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from infrastructure.observability.trace_settings import TraceSettings

_SQLALCHEMY_SCHEME: Final = "postgresql+psycopg"
_ACCEPTED_SCHEMES: Final = ("postgresql", "postgres", _SQLALCHEMY_SCHEME)

DISTRIBUTION: Final = "users-posts-service"
"""The name `pip install` knows the service by, with its extras in brackets."""

RateLimitBackend = Literal["postgres", "redis", "memory"]
_REDIS_SCHEMES: Final = ("redis://", "rediss://")

# RFC 7518 section 3.2: an HMAC key at least as long as the hash's output.
JWT_SECRET_MIN_BYTES: Final = {"HS256": 32, "HS384": 48, "HS512": 64}
DEVELOPMENT_JWT_SECRET: Final = (
    "development-only-jwt-secret-it-is-public-so-never-use-it-in-production"  # noqa: S105 - public by design; refused in production
)


SECRET_MIN_DISTINCT_CHARACTERS: Final = 8
"""Random secrets of 32 characters or more, even hex ones, hold a dozen or more."""
SECRET_MIN_DEFLATED_SHARE: Final = 0.4
"""The least share of its length a production JWT_SECRET keeps under deflate. Random
secrets keep more than half (hex, whose 16 symbols deflate packs into 4 bits each, the
least); a character, a word or any pattern repeated keeps a quarter or less."""


def degenerate_secret(secret: str) -> str | None:
    """Why a long secret still carries far fewer bits than its length suggests, if it does.

    The rule, in order: only whitespace; fewer than
    `SECRET_MIN_DISTINCT_CHARACTERS` different characters (`aaaa...`,
    `0110...`); one shorter string repeated (`0123456789abcdef` four times); or so
    much repetition that deflate packs it into less than
    `SECRET_MIN_DEFLATED_SHARE` of its bytes (a long run in an otherwise
    random string, say).
    """
    if not secret.strip():
        return "is only whitespace"
    distinct = len(set(secret))
    if distinct < SECRET_MIN_DISTINCT_CHARACTERS:
        return f"has only {distinct} different character{'s' if distinct > 1 else ''}"
    if secret in (secret + secret)[1:-1]:
        return "is one shorter string repeated"
    raw = secret.encode()
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate: no header to count
    packed = len(packer.compress(raw) + packer.flush())
    if packed < SECRET_MIN_DEFLATED_SHARE * len(raw):
        return f"is mostly repetition: deflate packs its {len(raw)} bytes into {packed}"
    return None


class MissingExtraError(RuntimeError):
    """A feature was asked for whose optional packages are not installed; the message
    names the extra that brings them.

    Defined beside the settings because most extras are what a setting asks for
    (RATE_LIMIT_STORAGE=redis://..., no DATABASE_URL): the command line reports
    it as one line, like an invalid setting.
    """

    def __init__(self, extra: str, feature: str, *, otherwise: str = "") -> None:
        self.extra = extra
        alternative = f", or {otherwise}" if otherwise else ""
        super().__init__(
            f"{feature} needs the '{extra}' extra: "
            f"pip install '{DISTRIBUTION}[{extra}]'{alternative}"
        )


def require_extra(extra: str, modules: tuple[str, ...], feature: str) -> None:
    """Raise MissingExtraError unless every module that `extra` brings can be imported."""
    if any(importlib.util.find_spec(name) is None for name in modules):
        raise MissingExtraError(extra, feature)


def to_sqlalchemy_url(url: str) -> str:
    """Give a PostgreSQL URL the psycopg 3 driver, as SQLAlchemy (and so Alembic) spells it.

    Accepts the plain `postgresql://` and `postgres://` forms that hosting
    providers and libpq tools hand out.
    """
    scheme, separator, rest = url.partition("://")
    if not separator or scheme not in _ACCEPTED_SCHEMES:
        raise ValueError(
            "must be a PostgreSQL URL such as postgresql://user:password@host:5432/dbname"
        )
    return f"{_SQLALCHEMY_SCHEME}://{rest}"


class Settings(TraceSettings, BaseSettings):  # BaseSettings named for the linters
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    repository: Literal["postgres", "memory"] = Field(
        default="postgres",
        description=(
            "Where data lives: postgres, or memory (the in-memory adapter: nothing persists). "
            "The old name sqlalchemy is still accepted for postgres, for one release."
        ),
    )

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL; unset means an embedded PostgreSQL for development.",
    )
    database_replica_url: str | None = Field(
        default=None,
        description="A read replica for the reads that may lag; unset: every read on the primary.",
    )
    replica_max_lag_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How far behind the primary the read replica may be and still serve reads "
        "that may lag; further behind, or unreachable, the primary serves them.",
    )
    embedded_postgres_dir: Path = Field(
        default_factory=lambda: Path.cwd() / ".data" / "postgres",
        description="Where the embedded PostgreSQL keeps its data. Default: .data/postgres in "
        "the working directory when the settings are read (never inside the installed package).",
    )

    # psycopg_pool's AsyncConnectionPool, one per database and process
    # (infrastructure.persistence.database says how each setting maps onto it).
    db_pool_size: int = Field(
        default=20,
        ge=1,
        description="Connections each worker's pool keeps open (the pool's min_size).",
    )
    db_max_overflow: int = Field(
        default=0,
        ge=0,
        description=(
            "Connections a pool may open past DB_POOL_SIZE under load (max_size is the sum); "
            "they close after 10 idle minutes."
        ),
    )
    db_pool_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a request waits in line for a connection before a 503.",
    )
    db_outage_timeout: float = Field(
        default=1.0,
        gt=0,
        description=(
            "Seconds a request waits for a connection while the database is known to be "
            "unreachable, before its 503 (DB_POOL_TIMEOUT when shorter)."
        ),
    )
    db_pool_recycle: int = Field(
        default=3600,
        description="Seconds a connection lives before the pool replaces it; -1 never recycles.",
    )
    db_pool_pre_ping: bool = Field(
        default=True,
        description=(
            "Check each connection before lending it (its socket; an empty query only when "
            "the server has spoken to it); one that the server closed renews the pool."
        ),
    )
    db_connect_timeout: int = Field(default=10, ge=1, description="Seconds to open a connection.")
    db_statement_timeout: float = Field(
        default=5.0,
        ge=0,
        description="Seconds any one SQL statement may run, lock waits included; 0: no limit.",
    )
    db_echo: bool = Field(
        default=False,
        description="Log every SQL statement the pools' connections run, without its values.",
    )
    db_prepared_statements: bool = Field(
        default=True,
        description=(
            "Let psycopg prepare statements it runs often. Set false behind a transaction "
            "pooler (PgBouncer before 1.21, or without max_prepared_statements)."
        ),
    )

    # argon2id cost; the defaults are argon2-cffi's (RFC 9106 low-memory profile).
    # Tests lower them: a hash there only has to be real, not expensive.
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_cost: int = Field(default=65536, ge=8, description="KiB.")
    password_hash_parallelism: int = Field(default=4, ge=1)
    # Each running hash holds memory_cost KiB: the concurrency bounds a worker's memory.
    password_hash_concurrency: int = Field(
        default=2, ge=1, description="argon2id hashes and verifications run at once, per worker."
    )
    password_hash_queue: int = Field(
        default=16,
        ge=0,
        description="Hashes that may wait for one of those; past it, 503 with Retry-After.",
    )
    password_min_strength: int = Field(
        default=3,
        ge=0,
        le=4,
        description="Least zxcvbn score (0-4) of a new password; 0 turns the check off.",
    )

    jwt_secret: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_JWT_SECRET),
        description="Key that signs access tokens; required in production.",
    )
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    access_token_expire_minutes: int = Field(
        default=15,
        ge=1,
        le=24 * 60,
        description="Lifetime of an access token; a refresh token gets the next one.",
    )
    refresh_token_expire_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="Lifetime of a session, from its login; refreshing does not extend it.",
    )

    log_format: Literal["console", "json"] = Field(
        default="console", description="console: lines for a person; json: one object per line."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    shutdown_timeout: int = Field(
        default=30, ge=1, description="Seconds in-flight requests get to finish on SIGTERM."
    )
    health_timeout: float = Field(
        default=2.0, gt=0, description="Seconds the readiness probe waits for the database."
    )

    cors_allow_origins: Annotated[list[str], NoDecode] = Field(
        default=[], description="Origins browsers may call from, comma-separated; none by default."
    )
    cors_allow_methods: Annotated[list[str], NoDecode] = ["GET", "POST", "PATCH", "DELETE"]
    cors_allow_headers: Annotated[list[str], NoDecode] = [
        "Authorization",
        "Content-Type",
        "If-Match",
        "If-None-Match",
        "Idempotency-Key",
        "X-Request-ID",
    ]
    behind_tls: bool = Field(
        default=False, description="Served over HTTPS: send Strict-Transport-Security."
    )
    public_base_url: HttpUrl | None = Field(
        default=None,
        description="Where clients reach the service (scheme, host, any path prefix); links the "
        "service writes start with it. Unset: links are relative references. Never the Host.",
    )
    max_skip: int = Field(
        default=10_000,
        ge=0,
        description="The deepest `skip` a list accepts; deeper pages are reached with cursors.",
    )

    idempotency_key_ttl_hours: int = Field(
        default=24,
        ge=1,
        description="Hours an Idempotency-Key replays its first answer; then it may be reused.",
    )

    rate_limit_storage: str | None = Field(
        default=None,
        description="Where rate-limit counters live: postgres, memory, or a redis:// URL. "
        "Unset: postgres, or memory with REPOSITORY=memory.",
    )
    rate_limit_login_failures: str = Field(
        default="5/minute", description="Failed logins per account and client address."
    )
    rate_limit_login_attempts: str = Field(
        default="100/minute", description="Login attempts per client address."
    )
    rate_limit_registrations: str = Field(
        default="20/hour", description="Registrations per client address."
    )
    rate_limit_refreshes: str = Field(
        default="100/minute", description="Refresh-token exchanges per client address."
    )
    rate_limit_credential_changes: str = Field(
        default="10/hour", description="Changes of the password or the email, per account."
    )
    rate_limit_reset_requests: str = Field(
        default="20/hour", description="Password-reset requests per client address."
    )
    rate_limit_reset_mails: str = Field(
        default="3/hour",
        description="Password-reset requests per email address, from anywhere: what bounds "
        "the mail one inbox can be sent.",
    )
    rate_limit_verification_mails: str = Field(
        default="5/hour", description="Verification mails an account may ask to be sent again."
    )
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default=[],
        description="Proxies whose X-Forwarded-For is believed, comma-separated IPs or CIDRs.",
    )

    # Mail (application.mail): written to the outbox with the change that owes it, and
    # delivered by a sender in each serving process.
    smtp_host: str | None = Field(
        default=None,
        description="The SMTP server mail goes to; unset: mail is written to the log instead "
        "(the console mailer), links and all, for development.",
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="The SMTP server's port.")
    smtp_username: str | None = Field(
        default=None, description="The account to authenticate as; unset: no AUTH."
    )
    smtp_password: SecretStr | None = Field(default=None, description="Its password.")
    smtp_tls: Literal["none", "starttls", "tls"] = Field(
        default="starttls",
        description="starttls: upgrade the connection (port 587); tls: TLS from the first byte "
        "(port 465); none: plain text, only for a relay on loopback.",
    )
    smtp_timeout: float = Field(
        default=10.0, gt=0, description="Seconds one delivery attempt may take."
    )
    mail_from: str = Field(
        default="Users and Posts <no-reply@localhost>",
        description="The From of every mail; its display name is the service's name in mails, "
        "its domain ends every Message-ID.",
    )
    mail_retry_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Wait before retrying a mail that failed; it doubles with each failure, "
        "up to an hour.",
    )
    mail_max_attempts: int = Field(
        default=10, ge=1, description="Delivery attempts before a mail is given up as failed."
    )
    mail_poll_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often each serving process looks for mail that is due (a retry, or "
        "mail another process wrote); its own is sent as soon as it commits.",
    )
    email_verification_hours: int = Field(
        default=24,
        ge=1,
        le=24 * 30,
        description="How long a link that proves an address works.",
    )
    password_reset_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="How long a password-reset link works."
    )
    require_verified_email: bool = Field(
        default=False,
        description="Refuse publishing (403 email-not-verified) until the account's address "
        "is verified; logging in still works.",
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)

    # What `serve` holds every client to, before and around the app.
    max_header_bytes: int = Field(
        default=8192, ge=256, description="Bytes one request header may take; past it a 431."
    )
    max_headers_bytes: int = Field(
        default=32768, ge=256, description="Bytes a request's headers may take together; a 431."
    )
    keep_alive_timeout: int = Field(
        default=5,
        ge=1,
        description="Seconds a connection may wait for its next request, or for its first.",
    )
    max_concurrent_connections: int = Field(
        default=1024,
        ge=1,
        description="Connections (or requests in flight) per worker; past it a 503 problem.",
    )
    http_parser: Literal["httptools", "h11"] = Field(
        default="httptools", description="uvicorn's HTTP/1.1 parser for `serve`."
    )

    @model_validator(mode="before")
    @classmethod
    def _empty_means_default(cls, data: Any) -> Any:
        """`PORT=` or `LOG_LEVEL=` left blank in `.env` or a shell means the default, as if unset.

        Not pydantic-settings' `env_ignore_empty`: with it, an empty variable falls
        through to the value in `.env`, so `DATABASE_URL= make run` could not undo a
        `.env` that names a database. Here the empty value wins, and means the default.
        """
        if not isinstance(data, dict):
            return data
        return {
            name: value
            for name, value in data.items()
            if not (isinstance(value, str) and not value.strip())
        }

    @model_validator(mode="before")
    @classmethod
    def _choices_in_any_case(cls, data: Any) -> Any:
        """`LOG_LEVEL=info`, `LOG_FORMAT=JSON`, `JWT_ALGORITHM=hs256`: the choice, spelled as
        the field spells it, for every `Literal` field."""
        if not isinstance(data, dict):
            return data
        normalised = dict(data)
        for name, value in data.items():
            field = cls.model_fields.get(name)
            if field is None or get_origin(field.annotation) is not Literal:
                continue
            if isinstance(value, str):
                spellings = {
                    str(choice).casefold(): choice for choice in get_args(field.annotation)
                }
                normalised[name] = spellings.get(value.strip().casefold(), value)
        return normalised

    @model_validator(mode="after")
    def _one_header_fits_in_all(self) -> "Settings":
        if self.max_header_bytes > self.max_headers_bytes:
            raise ValueError(
                f"MAX_HEADER_BYTES ({self.max_header_bytes}) cannot be more than "
                f"MAX_HEADERS_BYTES ({self.max_headers_bytes}), the limit for all headers"
            )
        return self

    @model_validator(mode="after")
    def _refuse_weak_secret_in_production(self) -> "Settings":
        if self.environment != "production":
            return self
        secret = self.jwt_secret.get_secret_value()
        if secret == DEVELOPMENT_JWT_SECRET:
            raise ValueError(
                "JWT_SECRET is not set: the development default is public, so anyone could "
                "sign tokens. Set JWT_SECRET to a random value, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        needed = JWT_SECRET_MIN_BYTES[self.jwt_algorithm]
        if len(secret.encode()) < needed:
            raise ValueError(
                f"JWT_SECRET is {len(secret.encode())} bytes; {self.jwt_algorithm} in production "
                f"needs at least {needed} (RFC 7518) so that it cannot be guessed"
            )
        return self

    @model_validator(mode="after")
    def _refuse_degenerate_secret_in_production(self) -> "Settings":
        if self.environment != "production":
            return self
        reason = degenerate_secret(self.jwt_secret.get_secret_value())
        if reason is not None:
            raise ValueError(
                f"JWT_SECRET {reason}, so it is far easier to guess than its length suggests. "
                "Set it to a random value, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return self

    @model_validator(mode="after")
    def _rate_limits_need_a_database_to_share(self) -> "Settings":
        if self.rate_limit_storage == "postgres" and self.repository == "memory":
            raise ValueError(
                "RATE_LIMIT_STORAGE=postgres needs the database, and REPOSITORY=memory has "
                "none: use memory (one process only) or a redis:// URL"
            )
        return self

    @property
    def rate_limit_backend(self) -> RateLimitBackend:
        """The store that RATE_LIMIT_STORAGE names, or the one that fits REPOSITORY when unset."""
        if self.rate_limit_storage is None:
            return "memory" if self.repository == "memory" else "postgres"
        if self.rate_limit_storage.startswith(_REDIS_SCHEMES):
            return "redis"
        return "memory" if self.rate_limit_storage == "memory" else "postgres"

    @field_validator("rate_limit_storage")
    @classmethod
    def _known_storage(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if value.casefold() in ("postgres", "memory"):
            return value.casefold()
        if not value.startswith(_REDIS_SCHEMES):
            raise ValueError("must be postgres, memory, or a URL such as redis://127.0.0.1:6379")
        if value.startswith(_REDIS_SCHEMES):
            # Said at start-up, not by the first rate-limited request's 500.
            try:
                require_extra("redis", ("coredis",), "Redis rate-limit storage")
            except MissingExtraError as error:
                raise ValueError(str(error)) from None
        return value

    @field_validator(
        "rate_limit_login_failures",
        "rate_limit_login_attempts",
        "rate_limit_registrations",
        "rate_limit_credential_changes",
        "rate_limit_refreshes",
        "rate_limit_reset_requests",
        "rate_limit_reset_mails",
        "rate_limit_verification_mails",
    )
    @classmethod
    def _one_rate(cls, value: str) -> str:
        try:
            rates = parse_many(value)
        except ValueError:
            rates = []
        if len(rates) != 1 or rates[0].amount < 1:
            raise ValueError("must be one rate such as 5/minute, 100 per hour or 10/30 seconds")
        return value.strip()

    @field_validator(
        "cors_allow_origins",
        "cors_allow_methods",
        "cors_allow_headers",
        "trusted_proxies",
        mode="before",
    )
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("public_base_url")
    @classmethod
    def _a_base_only(cls, value: HttpUrl | None) -> HttpUrl | None:
        """A base that paths are appended to: a query, a fragment or credentials would end up
        in the middle of every link."""
        if value is not None and any(
            part is not None
            for part in (value.query, value.fragment, value.username, value.password)
        ):
            raise ValueError(
                "must be an http(s) URL without query, fragment or user, "
                "such as https://api.example.com"
            )
        return value

    @field_validator("mail_from")
    @classmethod
    def _an_address(cls, value: str) -> str:
        """`Name <user@host>` or `user@host`: the host ends every Message-ID."""
        _, address = parseaddr(value)
        local, at, domain = address.rpartition("@")
        if not (local and at and domain) or any(c in value for c in "\r\n"):
            raise ValueError("must be an address such as Users and Posts <no-reply@example.com>")
        return value.strip()

    @property
    def mail_link_base(self) -> str:
        """What links in mails start with: PUBLIC_BASE_URL, or where `serve` listens.

        Never relative, unlike the links in responses: a mail is read far from the request.
        """
        if self.public_base_url is not None:
            return str(self.public_base_url).rstrip("/")
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host  # noqa: S104
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def mail_transport(self) -> Literal["smtp", "console"]:
        """Where mail goes: the SMTP server when SMTP_HOST names one, else the log."""
        return "console" if self.smtp_host is None else "smtp"

    @property
    def service_name(self) -> str:
        """The name mails sign with: MAIL_FROM's display name."""
        name, _ = parseaddr(self.mail_from)
        return name or "Users and Posts"

    @field_validator("repository", mode="before")
    @classmethod
    def _postgres_by_its_old_name(cls, value: object) -> object:
        """REPOSITORY=sqlalchemy named the PostgreSQL adapter until it ran on psycopg alone."""
        return "postgres" if value == "sqlalchemy" else value

    @field_validator("database_url", "database_replica_url")
    @classmethod
    def _use_psycopg_driver(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return to_sqlalchemy_url(value.strip())
