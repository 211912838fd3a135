"""The command line: `python -m interfaces --help`."""

import logging
import os
import signal
from types import FrameType
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError

from infrastructure.persistence import migrator
from infrastructure.persistence.provisioning import display_url, provide_database
from infrastructure.settings import Settings

app = typer.Typer(
    help="Users and posts service: serve the API and manage its database.",
    no_args_is_help=True,
    add_completion=False,
)

_OFFLINE_URL = "postgresql+psycopg://offline"


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM into SystemExit so that cleanup (stopping embedded PostgreSQL) runs.

    uvicorn shuts down gracefully on SIGTERM and then raises the signal again
    for the previous handler; with the default one the process would die on
    the spot, skipping every `finally`.
    """
    raise SystemExit(0)


def _settings() -> Settings:
    """Load the settings, or stop with a message that says which one is wrong and why."""
    try:
        return Settings()
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"]).upper()
            message = problem["msg"].removeprefix("Value error, ")
            lines.append(f"  {where}: {message}" if where else f"  {message}")
        typer.echo("Invalid settings:\n" + "\n".join(lines), err=True)
        raise typer.Exit(code=2) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind; HOST setting.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind; PORT setting.")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes.")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    migrate: Annotated[
        bool,
        typer.Option(help="Upgrade DATABASE_URL's schema first (always done for embedded)."),
    ] = False,
) -> None:
    """Serve the HTTP API with uvicorn.

    Without DATABASE_URL (and REPOSITORY not 'memory'), starts an embedded
    PostgreSQL, migrates it, and stops it on exit.
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    signal.signal(signal.SIGTERM, _exit_cleanly)
    settings = _settings()
    with provide_database(settings, migrate=migrate) as database_url:
        if database_url is not None:
            typer.echo(f"Database: {display_url(database_url)}")
            # Worker processes build their own settings from the environment.
            os.environ["DATABASE_URL"] = database_url
        else:
            typer.echo("Repository: in memory (nothing is persisted)")
        uvicorn.run(
            "interfaces.http.app:create_app",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=None if reload else workers or settings.workers,
            reload=reload,
        )


@app.command()
def migrate(
    sql: Annotated[
        bool, typer.Option("--sql", help="Print the SQL instead of running it.")
    ] = False,
) -> None:
    """Upgrade the database schema to the latest revision.

    Uses DATABASE_URL, or the embedded PostgreSQL when it is unset.
    """
    settings = _settings()
    if sql:
        typer.echo(migrator.upgrade_sql(settings.database_url or _OFFLINE_URL))
        return
    with provide_database(
        settings.model_copy(update={"repository": "sqlalchemy"}), migrate=True
    ) as url:
        assert url is not None  # noqa: S101 - the SQL repository always yields a URL
        typer.echo(f"Migrated {display_url(url)} to head")


@app.command()
def revision(
    revision_id: Annotated[str, typer.Option("--id", help="The new revision's id, e.g. 0003.")],
    message: Annotated[str, typer.Option("-m", "--message", help="What the migration does.")],
) -> None:
    """Write the next migration from the tables (for developers).

    Upgrades the database (DATABASE_URL, or the embedded one) to head first,
    then compares it with infrastructure/persistence/tables.py.
    """
    settings = _settings().model_copy(update={"repository": "sqlalchemy"})
    with provide_database(settings, migrate=True) as url:
        assert url is not None  # noqa: S101 - the SQL repository always yields a URL
        migrator.autogenerate(url, revision_id=revision_id, message=message)
