"""`migrate`, `revision` and `seed`: the database's schema and contents."""

import asyncio
from typing import TYPE_CHECKING, Annotated, Final

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from infrastructure.container import build_container, running
from infrastructure.persistence import migrator
from infrastructure.persistence.provisioning import display_url, provide_database
from infrastructure.security.passwords import Argon2PasswordHasher
from infrastructure.settings import Settings
from interfaces.cli.app import ExitCode, app, fail, load_settings, one_line_errors

if TYPE_CHECKING:
    from infrastructure.seeding import SeedReport

_OFFLINE_URL: Final = "postgresql+psycopg://offline"


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
    settings = _sql_settings()
    if sql:
        typer.echo(migrator.upgrade_sql(settings.database_url or _OFFLINE_URL))
        return
    with one_line_errors(), provide_database(settings, migrate=True) as url:
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
    with one_line_errors(), provide_database(_sql_settings(), migrate=True) as url:
        assert url is not None  # noqa: S101 - the SQL repository always yields a URL
        migrator.autogenerate(url, revision_id=revision_id, message=message)


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
    # would add 7 MiB to every worker that never seeds.
    from infrastructure.seeding import SEED_PASSWORD, NoAuthorsError  # noqa: PLC0415

    settings = _sql_settings()
    with one_line_errors(), provide_database(settings, migrate=False) as url:
        assert url is not None  # noqa: S101 - the SQL repository always yields a URL
        migrator.ensure_at_head(url)
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

    hasher = Argon2PasswordHasher(
        time_cost=settings.password_hash_time_cost,
        memory_cost=settings.password_hash_memory_cost,
        parallelism=settings.password_hash_parallelism,
    )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    async with running(build_container(settings)) as container:
        with Progress(*columns) as progress:
            tasks = {
                "users": progress.add_task("users", total=users),
                "posts": progress.add_task("posts", total=posts),
            }
            return await seed(
                container.primary_database().pool,
                users_count=users,
                posts_count=posts,
                password_hash=await hasher.hash(SEED_PASSWORD),
                batch_size=batch_size,
                progress=lambda table, count: progress.advance(tasks[table], count),
            )
