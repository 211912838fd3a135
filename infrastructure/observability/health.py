"""Readiness: can this process serve requests that need the database?"""

import asyncio

import psycopg
from psycopg_pool import AsyncConnectionPool

from application.health import Readiness
from infrastructure.persistence.database import Database, Databases
from infrastructure.persistence.statements import Connection


class InMemoryReadinessProbe:
    """The in-memory adapter has nothing to wait for."""

    async def check(self) -> Readiness:
        return Readiness(ready=True, detail="in-memory repository")


class PostgresReadinessProbe:
    """One query per database answers both questions: does it answer, and is its schema current?

    With a read replica, the replica is asked too: a process whose replica is
    out of reach, or not yet at this code's migration, would fail the reads
    sent there.

    A database out of reach is said to be, with the cause its pool last met
    connecting (see OutageLog): while it cannot connect, the probe's query
    only waits in the pool's line, and that wait is not the database's
    answer, nor is an empty schema.
    """

    def __init__(self, databases: Databases, *, expected_revision: str, timeout: float) -> None:
        self._primary = databases.primary
        self._replica = databases.replica
        self._expected = expected_revision
        self._timeout = timeout

    async def check(self) -> Readiness:
        primary = await self._check(self._primary, "the database", "the schema")
        if not primary.ready or self._replica is None:
            return primary
        replica = await self._check(self._replica, "the read replica", "the replica's schema")
        if not replica.ready:
            return replica
        return Readiness(
            ready=True,
            detail="database and read replica reachable, schema at head",
            schema_revision=primary.schema_revision,
        )

    async def _check(self, database: Database, name: str, schema: str) -> Readiness:
        try:
            revision = await asyncio.wait_for(self._revision(database.pool), timeout=self._timeout)
        except TimeoutError:
            if database.outage.cause is not None:
                return Readiness(
                    ready=False, detail=f"{name} is unreachable: {database.outage.cause}"
                )
            return Readiness(ready=False, detail=f"{name} did not answer in {self._timeout:g} s")
        except Exception as error:
            cause = database.outage.cause or database.outage.describe(error)
            return Readiness(ready=False, detail=f"{name} is unreachable: {cause}")
        if revision != self._expected:
            return Readiness(
                ready=False,
                detail=(
                    f"{schema} is at {revision or 'no revision'}, this code needs {self._expected}"
                ),
                schema_revision=revision,
            )
        return Readiness(
            ready=True, detail="database reachable, schema at head", schema_revision=revision
        )

    @staticmethod
    async def _revision(pool: AsyncConnectionPool[Connection]) -> str | None:
        async with pool.connection() as connection:
            try:
                cursor = await connection.execute("SELECT version_num FROM alembic_version")
            except psycopg.errors.UndefinedTable:
                return None
            row = await cursor.fetchone()
            return None if row is None else str(row[0])
