"""Settings, hashing and the container: the pieces that need no database."""

import secrets

import pytest
from dependency_injector import providers
from pydantic import ValidationError

from application.users import UserService
from infrastructure.container import Container
from infrastructure.memory import InMemoryUnitOfWork
from infrastructure.persistence.provisioning import display_url
from infrastructure.persistence.unit_of_work import PostgresUnitOfWork
from infrastructure.security.passwords import Argon2PasswordHasher
from tests.conftest import make_settings


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p@db:5432/app",
        "postgres://u:p@db:5432/app",
        "postgresql+psycopg://u:p@db:5432/app",
    ],
)
def test_database_urls_get_the_psycopg_driver(url: str) -> None:
    settings = make_settings(database_url=url)
    assert settings.database_url == "postgresql+psycopg://u:p@db:5432/app"


@pytest.mark.parametrize("url", ["mysql://u@db/app", "postgresql+asyncpg://u@db/app", "db:5432"])
def test_other_database_urls_are_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="must be a PostgreSQL URL"):
        make_settings(database_url=url)


def test_pool_defaults_follow_the_documented_values(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings()
    assert (
        settings.db_pool_size,
        settings.db_max_overflow,
        settings.db_pool_pre_ping,
        settings.db_pool_recycle,
        settings.db_pool_timeout,
    ) == (20, 0, True, 3600, 30.0)

    monkeypatch.setenv("DB_POOL_SIZE", "3")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db/app")
    from infrastructure.settings import Settings  # noqa: PLC0415

    from_env = Settings(_env_file=None)
    assert from_env.db_pool_size == 3
    assert from_env.database_url == "postgresql+psycopg://app@db/app"


def test_display_url_hides_the_password_and_the_driver() -> None:
    assert display_url("postgresql+psycopg://app:s3cr%40t@db:5432/app") == (
        "postgresql://app:***@db:5432/app"
    )


async def test_argon2id_hashes_verify_only_the_right_password() -> None:
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    first, second = await hasher.hash("a password"), await hasher.hash("a password")

    assert first.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert first != second, "each hash has its own salt"
    assert await hasher.verify("a password", first)
    assert not await hasher.verify("another password", first)


async def test_the_dummy_hash_is_made_at_the_first_unknown_login_not_at_start() -> None:
    """A hash holds memory_cost KiB while it runs: a worker serving only reads never pays it."""
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    assert hasher._dummy_hash is None

    await hasher.verify_dummy("any password")
    dummy = hasher._dummy_hash
    await hasher.verify_dummy("another password")

    assert dummy is not None
    assert dummy.startswith("$argon2id$v=19$m=1024,t=1,p=1$"), "made with the current parameters"
    assert hasher._dummy_hash == dummy, "made once"


def test_container_selects_the_adapter_from_settings() -> None:
    memory = Container(settings=providers.Object(make_settings(repository="memory")))
    sql = Container(
        settings=providers.Object(
            make_settings(repository="postgres", database_url="postgresql://app@db/app")
        )
    )

    assert isinstance(memory.user_service(), UserService)
    assert isinstance(memory.uow(), InMemoryUnitOfWork)
    assert memory.uow().store is memory.uow().store, "one store per container"
    assert isinstance(sql.uow(), PostgresUnitOfWork)
    assert sql.uow() is sql.uow(), "one unit of work for the process: it holds no state"
    databases = sql.databases()
    assert databases is sql.databases(), "one pool per database and process"
    assert (databases.primary.pool.min_size, databases.primary.pool.max_size) == (20, 20)
    assert databases.replica is None, "no DATABASE_REPLICA_URL, no replica"
    assert sql.primary_database() is databases.primary


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET is not set"):
        make_settings(environment="production")


@pytest.mark.parametrize(("algorithm", "length"), [("HS256", 31), ("HS384", 47), ("HS512", 63)])
def test_production_refuses_a_secret_shorter_than_the_hash(algorithm: str, length: int) -> None:
    with pytest.raises(ValidationError, match=f"needs at least {length + 1}"):
        make_settings(environment="production", jwt_algorithm=algorithm, jwt_secret="k" * length)


def test_production_accepts_a_long_random_secret() -> None:
    secret = secrets.token_urlsafe(64)
    settings = make_settings(environment="production", jwt_secret=secret, jwt_algorithm="HS512")
    assert settings.jwt_secret.get_secret_value() == secret
    assert secret not in repr(settings), "the secret stays out of logs and reprs"


def test_development_runs_with_the_default_secret() -> None:
    assert make_settings(environment="development").access_token_expire_minutes == 15


@pytest.mark.parametrize("named", ["postgres", "sqlalchemy"])
def test_repository_postgres_is_still_accepted_by_its_old_name(named: str) -> None:
    assert make_settings(repository=named).repository == "postgres"


def test_repository_refuses_an_unknown_adapter() -> None:
    with pytest.raises(ValidationError, match="repository"):
        make_settings(repository="sqlite")
