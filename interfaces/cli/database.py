"""`migrate`, `revision`, `seed` and `db stop`: the database's schema, contents and server."""

import asyncio
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from infrastructure.container import StopOutcome, build_container, running
from infrastructure.settings import Settings
from interfaces.cli.app import ExitCode, app, fail, load_settings, one_line_errors

if TYPE_CHECKING:
    from infrastructure.seeding import SeedReport


db_commands = typer.Typer(
    help="The embedded PostgreSQL, which runs when DATABASE_URL is unset.",
    no_args_is_help=True,
)
app.add_typer(db_commands, name="db")


def _sql_settings() -> Settings:
    return load_settings().model_copy(update={"repository": "postgres"})


@app.command()
def migrate(
    sql: Annotated[
        bool, typer.Option("--sql", help="Print the SQL instead of running it.")
    ] = False,
) -> None:
    """Upgrade the database schema to the latest revision.

    Uses DATABASE_URL, or the embedded PostgreSQL when it is unset.
    """
    admin = build_container(_sql_settings()).database_admin()
    if sql:
        typer.echo(admin.upgrade_sql())
        return
    with one_line_errors(), admin.migrated() as url:
        typer.echo(f"Migrated {admin.display_url(url)} to head")


@app.command()
def revision(
    revision_id: Annotated[str, typer.Option("--id", help="The new revision's id, e.g. 0003.")],
    message: Annotated[str, typer.Option("-m", "--message", help="What the migration does.")],
) -> None:
    """Write the next migration from the tables (for developers, in a checkout).

    Upgrades the database (DATABASE_URL, or the embedded one) to head first,
    then compares it with infrastructure/persistence/tables.py. The new file goes
    into infrastructure/persistence/migrations/versions of the source tree the
    command runs from: run it from a checkout, not from an installed copy.
    """
    admin = build_container(_sql_settings()).database_admin()
    with one_line_errors(), admin.migrated() as url:
        admin.autogenerate(url, revision_id=revision_id, message=message)


@app.command()
def seed(
    users: Annotated[int, typer.Option("--users", min=0, help="Users to add.")] = 1_000,
    posts: Annotated[int, typer.Option("--posts", min=0, help="Posts to add.")] = 10_000,
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per transaction.")] = 5_000,
) -> None:
    """Fill the database with realistic fake users and posts, in bulk.

    Every seeded user's password is "seeded-password". Seeding again adds
    more: names carry a run tag, so they never collide. Posts go to the new
    users, or to existing ones when --users is 0.
    """
    # Imported here: `serve` runs in this process too, and Faker and factory-boy
    # would add 7 MiB to every worker that never seeds. They are the `seed` extra.
    with one_line_errors():
        from infrastructure.seeding import SEED_PASSWORD, NoAuthorsError  # noqa: PLC0415

    settings = _sql_settings()
    with one_line_errors(), build_container(settings).database_admin().at_head() as url:
        try:
            report = asyncio.run(
                _seed(settings.model_copy(update={"database_url": url}), users, posts, batch_size)
            )
        except NoAuthorsError as error:
            raise fail(str(error), ExitCode.REFUSED) from None
    typer.echo(
        f"Added {report.users:,} users and {report.posts:,} posts in {report.seconds:.1f} s "
        f"(run tag {report.tag}; every password is {SEED_PASSWORD!r})"
    )


async def _seed(settings: Settings, users: int, posts: int, batch_size: int) -> "SeedReport":
    from infrastructure.seeding import SEED_PASSWORD, seed  # noqa: PLC0415 - see `seed`

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    async with running(build_container(settings)) as container:
        # The service's own hasher, with its parameters: a seeded user's first
        # login then verifies without rehashing (and writing) the password, as a
        # real user's does. Every seeded user shares the one hash, so its cost is paid once.
        password_hash = await container.password_hasher().hash(SEED_PASSWORD)
        with Progress(*columns) as progress:
            tasks = {
                "users": progress.add_task("users", total=users),
                "posts": progress.add_task("posts", total=posts),
            }
            return await seed(
                container.primary_database().pool,
                users_count=users,
                posts_count=posts,
                password_hash=password_hash,
                batch_size=batch_size,
                progress=lambda table, count: progress.advance(tasks[table], count),
            )


@db_commands.command("stop")
def stop() -> None:
    """Stop the embedded PostgreSQL in EMBEDDED_POSTGRES_DIR, unless a command is using it.

    `serve` and the other commands stop it themselves when the last of them
    ends; this is for a server left running by one that was killed (the next
    command would take that one over and stop it too).
    """
    settings = load_settings()
    with one_line_errors():
        outcome = build_container(settings).database_admin().stop_embedded()
    folder = settings.embedded_postgres_dir
    if outcome is StopOutcome.IN_USE:
        raise fail(
            f"the embedded PostgreSQL in {folder} is in use by another command (a serve, say); "
            f"it stops by itself when the last of them ends",
            ExitCode.REFUSED,
        )
    if outcome is StopOutcome.STOPPED:
        typer.echo(f"Stopped the embedded PostgreSQL in {folder}")
    else:
        typer.echo(f"No embedded PostgreSQL runs in {folder}")
