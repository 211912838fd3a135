"""The Typer app and what every command shares: settings, and errors as one clear line."""

from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum

import typer
from pydantic import ValidationError

from domain.errors import DomainError, StorageUnavailableError
from infrastructure.container import (
    DatabaseUnreachableError,
    EmbeddedPostgresError,
    SchemaOutdatedError,
)
from infrastructure.settings import MissingExtraError, Settings

app = typer.Typer(
    help="Users and posts service: serve the API and manage its database.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class ExitCode(IntEnum):
    """What a script calling the CLI can tell apart."""

    REFUSED = 1  # the request broke a rule: a taken email, an invalid name...
    INVALID_SETTINGS = 2
    DATABASE_UNREACHABLE = 3  # the embedded PostgreSQL could not be made or started too
    SCHEMA_OUTDATED = 4
    PORT_IN_USE = 5  # serve found its port taken, before touching the database


def fail(message: str, code: ExitCode) -> typer.Exit:
    typer.secho(f"Error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=code)


def load_settings() -> Settings:
    """Load the settings, or stop with a line per wrong setting saying why."""
    try:
        return Settings()
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"]).upper()
            message = problem["msg"].removeprefix("Value error, ")
            lines.append(f"  {where}: {message}" if where else f"  {message}")
        typer.echo("Invalid settings:\n" + "\n".join(lines), err=True)
        raise typer.Exit(code=ExitCode.INVALID_SETTINGS) from None


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Report the failures an operator can act on as one line and an exit code, not a traceback."""
    try:
        yield
    except MissingExtraError as error:
        raise fail(str(error), ExitCode.INVALID_SETTINGS) from None
    except (DatabaseUnreachableError, EmbeddedPostgresError) as error:
        raise fail(str(error), ExitCode.DATABASE_UNREACHABLE) from None
    except StorageUnavailableError as error:
        raise fail(error.message, ExitCode.DATABASE_UNREACHABLE) from None
    except SchemaOutdatedError as error:
        raise fail(str(error), ExitCode.SCHEMA_OUTDATED) from None
    except DomainError as error:
        raise fail(error.message, ExitCode.REFUSED) from None
