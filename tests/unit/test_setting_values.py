"""How a setting's value is read: choices in any case, and an empty value as the default."""

import secrets
from pathlib import Path
from typing import Literal, get_args, get_origin

import pytest
from pydantic import ValidationError

from infrastructure.settings import Settings

CHOICES: dict[str, tuple[str, ...]] = {
    name: tuple(str(choice) for choice in get_args(field.annotation))
    for name, field in Settings.model_fields.items()
    if get_origin(field.annotation) is Literal
}
SPELLINGS = [
    pytest.param(name, spelling, choice, id=f"{name}={spelling}")
    for name, choices in CHOICES.items()
    for choice in choices
    for spelling in {choice.lower(), choice.upper(), choice.capitalize(), f" {choice} "}
]


def test_the_choice_settings_are_the_documented_ones() -> None:
    assert set(CHOICES) == {
        "environment",
        "repository",
        "jwt_algorithm",
        "log_format",
        "log_level",
        "http_parser",
        "otel_exporter_otlp_protocol",
        "otel_traces_sampler",
        "smtp_tls",
    }


@pytest.mark.parametrize(("name", "spelling", "choice"), SPELLINGS)
def test_a_choice_is_read_in_any_case_and_kept_as_spelled_in_the_code(
    monkeypatch: pytest.MonkeyPatch, name: str, spelling: str, choice: str
) -> None:
    monkeypatch.setenv("JWT_SECRET", secrets.token_urlsafe(64))  # production wants one
    monkeypatch.setenv(name.upper(), spelling)
    assert getattr(Settings(_env_file=None), name) == choice


@pytest.mark.parametrize("name", sorted(CHOICES))
def test_a_choice_that_is_not_one_is_still_refused(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name.upper(), "verbose")
    with pytest.raises(ValidationError, match=name):
        Settings(_env_file=None)


@pytest.mark.parametrize(
    ("value", "stored"), [("POSTGRES", "postgres"), ("Memory", "memory"), (" memory ", "memory")]
)
def test_the_rate_limit_store_is_named_in_any_case(
    monkeypatch: pytest.MonkeyPatch, value: str, stored: str
) -> None:
    monkeypatch.setenv("RATE_LIMIT_STORAGE", value)
    assert Settings(_env_file=None).rate_limit_storage == stored


@pytest.mark.parametrize("blank", ["", "  "], ids=["empty", "spaces"])
@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_an_empty_value_means_the_default(
    monkeypatch: pytest.MonkeyPatch, name: str, blank: str
) -> None:
    monkeypatch.setenv(name.upper(), blank)
    assert getattr(Settings(_env_file=None), name) == Settings.model_fields[name].get_default(
        call_default_factory=True
    )


def test_an_empty_variable_beats_the_dot_env_file_and_means_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dot_env = tmp_path / ".env"
    dot_env.write_text("LOG_LEVEL=DEBUG\nPORT=9000\nDATABASE_URL=postgresql://app@db/app\n")
    for name in ("LOG_LEVEL", "PORT", "DATABASE_URL"):
        monkeypatch.setenv(name, "")
    settings = Settings(_env_file=dot_env)
    assert (settings.log_level, settings.port, settings.database_url) == ("INFO", 8000, None)


def test_an_empty_value_in_the_dot_env_file_means_the_default(tmp_path: Path) -> None:
    dot_env = tmp_path / ".env"
    dot_env.write_text("WORKERS=\nDB_POOL_PRE_PING=\nEMBEDDED_POSTGRES_DIR=\n")
    settings = Settings(_env_file=dot_env)
    assert (settings.workers, settings.db_pool_pre_ping, settings.embedded_postgres_dir) == (
        1,
        True,
        Path.cwd() / ".data" / "postgres",
    )
