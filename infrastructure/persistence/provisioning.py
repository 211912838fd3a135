"""Finding the database a process should use, starting an embedded one when none is named."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from sqlalchemy import make_url

from infrastructure.persistence import migrator
from infrastructure.persistence.embedded import embedded_postgres
from infrastructure.settings import Settings

logger = logging.getLogger(__name__)


def display_url(url: str) -> str:
    """The URL as a person would paste it into psql: no driver, no password."""
    scheme, _, rest = url.partition("://")
    password = make_url(url).password
    if password:
        rest = rest.replace(f":{quote(str(password), safe='')}@", ":***@", 1)
    return f"{scheme.split('+')[0]}://{rest}"


@contextmanager
def provide_database(settings: Settings, *, migrate: bool) -> Iterator[str | None]:
    """Yield the database URL to serve from, or None for the in-memory adapter.

    - REPOSITORY=memory: no database at all.
    - DATABASE_URL set: that server, migrated to head when `migrate` is true.
    - Neither: an embedded PostgreSQL with its data in EMBEDDED_POSTGRES_DIR,
      always migrated (it is a development database), shared with the other
      processes using it and stopped on exit by the last of them.
    """
    if settings.repository == "memory":
        yield None
        return
    if settings.database_url is not None:
        if migrate:
            migrator.upgrade(settings.database_url)
        yield settings.database_url
        return
    with embedded_postgres(settings.embedded_postgres_dir) as server:
        url = server.url
        logger.info(
            "embedded PostgreSQL at %s (data in %s)",
            display_url(url),
            settings.embedded_postgres_dir,
        )
        migrator.upgrade(url)
        yield url
