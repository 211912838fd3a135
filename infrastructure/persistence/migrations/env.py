"""Alembic's entry point, async: migrations run on the same psycopg driver as the service.

The URL comes, in order, from the caller (`config.attributes["database_url"]`,
as `migrator.py` passes it), from `alembic -x database_url=...`, or from the
settings (DATABASE_URL).
"""

import asyncio

from alembic import context
from sqlalchemy import Connection, pool
from sqlalchemy.ext.asyncio import create_async_engine

from infrastructure.persistence.tables import metadata
from infrastructure.settings import Settings, to_sqlalchemy_url

config = context.config


def _database_url() -> str:
    url = config.attributes.get("database_url") or context.get_x_argument(as_dictionary=True).get(
        "database_url"
    )
    if url:
        return to_sqlalchemy_url(url)
    configured = Settings().database_url
    if configured is None:
        raise RuntimeError("set DATABASE_URL, or run `python -m interfaces migrate`")
    return configured


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    context.configure(
        connection=connection,
        url=url,
        target_metadata=metadata,
        compare_type=True,
        compare_server_default=True,
        literal_binds=connection is None,
    )


def _run_with(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = create_async_engine(_database_url(), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_with)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    _configure(url=_database_url())
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
