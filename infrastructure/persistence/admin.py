"""The operator's work on the database, for the command line: find it, migrate it, check it."""

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Final

import psycopg

from infrastructure.persistence import migrator
from infrastructure.persistence.database import APPLICATION_NAME, conninfo
from infrastructure.persistence.embedded import StopOutcome, stop_unless_in_use
from infrastructure.persistence.outage import first_line, password_in
from infrastructure.persistence.provisioning import display_url, provide_database
from infrastructure.settings import Settings

OFFLINE_URL: Final = "postgresql+psycopg://offline"
"""What `upgrade_sql` renders for when no DATABASE_URL is set: the SQL is the same."""

PROBE_TIMEOUT_SECONDS: Final = 3
"""At most this long for `unreachable_because`'s connection: start-up waits for it."""


class DatabaseAdmin:
    """The database named by the settings (DATABASE_URL, else the embedded PostgreSQL).

    One object so that a command asks the container for it instead of
    reaching into the migrator and provisioning itself; every command that
    works on the data goes through `at_head`, the one spelling of "refuse a
    schema other than this code's".
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def provide(self, *, migrate: bool) -> AbstractContextManager[str | None]:
        """The URL to serve from while the block runs, or None for the in-memory adapter.

        See `provide_database`: an embedded server is started (and migrated)
        when no DATABASE_URL is set, and stopped when the block ends unless
        another process still uses it.
        """
        return provide_database(self._settings, migrate=migrate)

    @contextmanager
    def migrated(self) -> Iterator[str]:
        """The database's URL, upgraded to head first."""
        with self.provide(migrate=True) as url:
            yield self._named(url)

    @contextmanager
    def at_head(self) -> Iterator[str]:
        """The database's URL; SchemaOutdatedError unless it is migrated exactly to head."""
        with self.provide(migrate=False) as provided:
            url = self._named(provided)
            migrator.ensure_at_head(url)
            yield url

    def unreachable_because(self, url: str) -> str | None:
        """Why the database at `url` cannot be reached (the error's first line), or None.

        One connection opened and closed, for `serve` to say at start-up what
        every request would otherwise find out on its own; never the password.
        """
        try:
            with psycopg.connect(
                conninfo(url),
                connect_timeout=min(self._settings.db_connect_timeout, PROBE_TIMEOUT_SECONDS),
                application_name=APPLICATION_NAME,
            ):
                return None
        except psycopg.Error as error:
            return first_line(error, secret=password_in(conninfo(url)))

    def stop_embedded(self) -> StopOutcome:
        """Stop the embedded PostgreSQL in EMBEDDED_POSTGRES_DIR, unless a process uses it.

        Whatever DATABASE_URL says: a server left running there is this checkout's either way.
        """
        return stop_unless_in_use(self._settings.embedded_postgres_dir)

    def upgrade_sql(self) -> str:
        """The SQL that migrating to head runs, without a database."""
        return migrator.upgrade_sql(self._settings.database_url or OFFLINE_URL)

    def autogenerate(self, url: str, *, revision_id: str, message: str) -> None:
        """Write the next migration into the source tree (a developer's command)."""
        migrator.autogenerate(url, revision_id=revision_id, message=message)

    @staticmethod
    def display_url(url: str) -> str:
        """The URL without its password or driver, to print."""
        return display_url(url)

    @staticmethod
    def _named(url: str | None) -> str:
        if url is None:
            raise ValueError(
                "REPOSITORY=memory has no database to administer; the command line's "
                "database commands run with the PostgreSQL repository"
            )
        return url
