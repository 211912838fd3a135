"""The limiter's wiring: settings, the store each setting picks, and counting on memory."""

import logging
import uuid

import pytest
from dependency_injector import providers
from limits import parse
from limits.aio.storage import MemoryStorage, RedisStorage
from pydantic import ValidationError

from application.ratelimit import Limit, RateLimitExceededError
from infrastructure.container import Container
from infrastructure.ratelimit import (
    IN_PROCESS_WARNING,
    PostgresStorage,
    RateLimits,
)
from infrastructure.settings import Settings
from interfaces.http.app import create_app
from interfaces.http.ratelimit import account_key
from tests.conftest import make_settings


def _limits(rate: str = "3/minute") -> RateLimits:
    return RateLimits(MemoryStorage(), dict.fromkeys(Limit, parse(rate)))


async def test_hits_up_to_the_rate_pass_and_the_next_one_is_refused_until_the_window_ends() -> None:
    limits = _limits("3/minute")
    for _ in range(3):
        await limits.hit(Limit.REGISTRATIONS, "203.0.113.7")

    with pytest.raises(RateLimitExceededError) as refused:
        await limits.hit(Limit.REGISTRATIONS, "203.0.113.7")

    assert refused.value.limit is Limit.REGISTRATIONS
    assert 1 <= refused.value.retry_after <= 60


async def test_each_limit_and_each_identifier_counts_on_its_own() -> None:
    limits = _limits("1/minute")
    await limits.hit(Limit.REGISTRATIONS, "203.0.113.7")

    await limits.hit(Limit.REGISTRATIONS, "203.0.113.8")
    await limits.hit(Limit.LOGIN_ATTEMPTS, "203.0.113.7")
    await limits.hit(Limit.LOGIN_FAILURES, "account", "203.0.113.7")
    with pytest.raises(RateLimitExceededError):
        await limits.hit(Limit.REGISTRATIONS, "203.0.113.7")


async def test_forget_starts_the_count_again() -> None:
    limits = _limits("2/minute")
    await limits.hit(Limit.LOGIN_FAILURES, "account", "203.0.113.7")
    await limits.hit(Limit.LOGIN_FAILURES, "account", "203.0.113.7")

    await limits.forget(Limit.LOGIN_FAILURES, "account", "203.0.113.7")

    await limits.hit(Limit.LOGIN_FAILURES, "account", "203.0.113.7")
    await limits.hit(Limit.LOGIN_FAILURES, "account", "203.0.113.7")
    with pytest.raises(RateLimitExceededError):
        await limits.hit(Limit.LOGIN_FAILURES, "account", "203.0.113.7")


def test_the_defaults_are_the_documented_ones() -> None:
    settings = Settings(_env_file=None)

    assert settings.rate_limit_login_failures == "5/minute"
    assert settings.rate_limit_login_attempts == "100/minute"
    assert settings.rate_limit_registrations == "20/hour"
    assert settings.trusted_proxies == []
    assert settings.rate_limit_storage is None


@pytest.mark.parametrize(
    ("overrides", "backend"),
    [
        ({"repository": "sqlalchemy"}, "postgres"),
        ({"repository": "memory"}, "memory"),
        ({"repository": "sqlalchemy", "rate_limit_storage": "memory"}, "memory"),
        ({"repository": "sqlalchemy", "rate_limit_storage": "postgres"}, "postgres"),
        ({"repository": "memory", "rate_limit_storage": "redis://127.0.0.1:6379"}, "redis"),
        ({"rate_limit_storage": "rediss://cache.internal:6380/2"}, "redis"),
    ],
)
def test_the_store_follows_the_setting_or_else_the_repository(
    overrides: dict[str, str], backend: str
) -> None:
    assert make_settings(**overrides).rate_limit_backend == backend


def test_the_container_builds_the_store_the_settings_name() -> None:
    def storage(**overrides: str) -> object:
        container = Container(settings=providers.Object(make_settings(**overrides)))
        return container.rate_limit_storage()

    assert isinstance(storage(), MemoryStorage)
    assert isinstance(storage(rate_limit_storage="redis://127.0.0.1:6379"), RedisStorage)
    assert isinstance(
        storage(repository="postgres", database_url="postgresql://u@db/app"), PostgresStorage
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"rate_limit_storage": "postgres"}, "REPOSITORY=memory has none"),
        ({"rate_limit_storage": "memcached://cache:11211"}, "must be postgres, memory"),
        ({"rate_limit_registrations": "twenty an hour"}, "must be one rate"),
        ({"rate_limit_login_failures": "5/minute;50/hour"}, "must be one rate"),
        ({"rate_limit_login_attempts": "0/minute"}, "must be one rate"),
        ({"trusted_proxies": "10.0.0.1/8"}, "not a valid IPv4 or IPv6 network"),
    ],
)
def test_settings_that_cannot_work_are_refused(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make_settings(**overrides)


def test_trusted_proxies_take_addresses_and_networks_separated_by_commas() -> None:
    settings = make_settings(trusted_proxies="10.0.0.1, 192.168.0.0/16,::1")

    assert [str(network) for network in settings.trusted_proxies] == [
        "10.0.0.1/32",
        "192.168.0.0/16",
        "::1/128",
    ]


def test_in_process_counting_is_announced_at_start_up(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        create_app(Container(settings=providers.Object(make_settings())))
        create_app(
            Container(
                settings=providers.Object(
                    make_settings(repository="postgres", database_url="postgresql://u@db/app")
                )
            )
        )

    assert [record.message for record in caplog.records] == [IN_PROCESS_WARNING]


def test_an_account_key_is_the_login_as_looked_up_and_of_fixed_size() -> None:
    assert account_key("Ada") == account_key(" ada ") == account_key("ADA")
    assert account_key("ada@example.com") != account_key("ada")
    long_and_odd = "\ud800" + "x" * 100_000
    assert len(account_key(long_and_odd)) == len(account_key(str(uuid.uuid4()))) == 32
    assert len(account_key(f"{long_and_odd}@example.com")) == 32


def test_an_emails_equivalent_spellings_share_one_account_key() -> None:
    spellings = [
        "zoë@bücher.example",
        "ZOE\u0308@BU\u0308CHER.EXAMPLE",
        "zoë@xn--bcher-kva.example",
    ]
    assert len({account_key(spelling) for spelling in spellings}) == 1
    assert account_key("not an@address") == account_key(" NOT AN@address "), "as typed, any case"
