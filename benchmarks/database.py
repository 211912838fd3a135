"""The benchmark's database: found or started, migrated, seeded once, and read for fixtures.

Migrating and seeding go through the service's own command line, as an
operator would run them, so the benchmark measures the schema and the data
that the project really produces.
"""

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import psycopg

from benchmarks.paths import PROJECT_ROOT
from infrastructure.persistence.embedded import EmbeddedPostgres
from infrastructure.settings import to_sqlalchemy_url

EMBEDDED_DIR: Final = PROJECT_ROOT / ".data" / "bench-postgres"
BENCHMARK_TITLE: Final = "wrk benchmark post"
"""The title of every post the benchmark writes: how it finds them again to delete them."""

EMBEDDED_MAX_CONNECTIONS: Final = 200
"""Room for the ladder's four pooled servers (100 connections at their peak) and more."""

_MIGRATE_TIMEOUT_SECONDS: Final = 300
_SEED_TIMEOUT_SECONDS: Final = 1800
_SAMPLE_IDS: Final = 10_000


@dataclass(frozen=True, slots=True)
class Fixtures:
    """What the load needs from the data: ids to read, and an author to write as."""

    user_ids: list[int]
    author_id: int
    author_username: str


@contextmanager
def provide(data_dir: Path = EMBEDDED_DIR) -> Iterator[str]:
    """Yield the SQLAlchemy URL of DATABASE_URL, or of an embedded server on `data_dir`.

    Only the environment variable counts, not `.env`: seeding writes ten
    thousand users, so another database has to be named on purpose. An
    embedded server started here runs without fsync (the data is throwaway)
    and is stopped on the way out; one already running is left running.
    """
    named = os.environ.get("DATABASE_URL", "").strip()
    if named:
        yield to_sqlalchemy_url(named)
        return
    server = EmbeddedPostgres(data_dir, durable=False, max_connections=EMBEDDED_MAX_CONNECTIONS)
    print(f"Starting (or reusing) the embedded PostgreSQL in {server.data_dir}...", flush=True)
    started = server.start()
    try:
        yield server.url
    finally:
        if started:
            server.stop()


def embedded_server_pids(data_dir: Path = EMBEDDED_DIR) -> set[int]:
    """The embedded postmaster's pid, whose backends are the benchmark's own work too."""
    if os.environ.get("DATABASE_URL", "").strip():
        return set()
    try:
        return {int((data_dir / "postmaster.pid").read_text().split()[0])}
    except (OSError, IndexError, ValueError):
        return set()


def run_cli(arguments: list[str], environment: Mapping[str, str], timeout: int) -> None:
    """Run `python -m interfaces ...`, showing its output; raise if it fails or overruns."""
    subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "interfaces", *arguments],
        cwd=PROJECT_ROOT,
        env=dict(environment),
        timeout=timeout,
        check=True,
    )


def migrate(environment: Mapping[str, str]) -> None:
    run_cli(["migrate"], environment, _MIGRATE_TIMEOUT_SECONDS)


def ensure_seeded(url: str, environment: Mapping[str, str], *, users: int, posts: int) -> None:
    """Seed only what is missing, so that a second run starts in seconds."""
    have_users, have_posts = _counts(url)
    missing_users, missing_posts = max(users - have_users, 0), max(posts - have_posts, 0)
    if not (missing_users or missing_posts):
        print(f"Data: {have_users:,} users and {have_posts:,} posts already there", flush=True)
        return
    print(f"Seeding {missing_users:,} users and {missing_posts:,} posts...", flush=True)
    run_cli(
        ["seed", "--users", str(missing_users), "--posts", str(missing_posts)],
        environment,
        _SEED_TIMEOUT_SECONDS,
    )


def delete_benchmark_posts(url: str) -> int:
    """Remove what earlier POST runs wrote, so that every run starts from the same tables."""
    with _connect(url) as connection:
        cursor = connection.execute("DELETE FROM posts WHERE title = %s", (BENCHMARK_TITLE,))
        return cursor.rowcount


def tidy_up(url: str) -> None:
    """Delete the benchmark's posts on the way out, without hiding why the run ended."""
    try:
        delete_benchmark_posts(url)
    except psycopg.Error as error:
        print(f"Could not delete the benchmark's posts: {error}", file=sys.stderr)


def fixtures(url: str) -> Fixtures:
    """A random sample of user ids, and a seeded user (whose password is known) as the author."""
    with _connect(url) as connection:
        ids = [
            int(row[0])
            for row in connection.execute(
                "SELECT id FROM users ORDER BY random() LIMIT %s", (_SAMPLE_IDS,)
            )
        ]
        # Seeded users' emails are at example.org (infrastructure/seeding/fake.py).
        author = connection.execute(
            "SELECT id, username FROM users WHERE email LIKE %s ORDER BY id LIMIT 1",
            ("%@example.org",),
        ).fetchone()
    if not ids or author is None:
        raise RuntimeError("the database holds no seeded user")
    return Fixtures(user_ids=ids, author_id=int(author[0]), author_username=str(author[1]))


def connection_room(url: str) -> int:
    """How many more connections the server would accept from this role right now.

    A superuser may also take the slots reserved for superusers; anyone else
    may not.
    """
    with _connect(url) as connection:
        row = connection.execute(
            "SELECT current_setting('max_connections')::int"
            " - CASE WHEN current_setting('is_superuser') = 'on' THEN 0 ELSE"
            " current_setting('superuser_reserved_connections')::int"
            " + coalesce(current_setting('reserved_connections', true)::int, 0) END"
            " - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
        ).fetchone()
    if row is None:
        raise RuntimeError("the connection count returned no row")
    # This connection is counted as in use, and is closed by now.
    return int(row[0]) + 1


def _counts(url: str) -> tuple[int, int]:
    with _connect(url) as connection:
        row = connection.execute(
            "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM posts)"
        ).fetchone()
    if row is None:
        raise RuntimeError("count(*) returned no row")
    return int(row[0]), int(row[1])


def _connect(url: str) -> psycopg.Connection[tuple[Any, ...]]:
    # The service's URLs name SQLAlchemy's driver; psycopg itself wants plain libpq.
    libpq = to_sqlalchemy_url(url).replace("postgresql+psycopg://", "postgresql://", 1)
    connection = psycopg.connect(libpq, autocommit=True, connect_timeout=10)
    # Every step of the benchmark is bounded in time, its own SQL included.
    connection.execute("SET statement_timeout = '120s'")
    return connection
