"""Readiness: can this process serve requests that need the database?"""

import asyncio

import psycopg
from psycopg_pool import AsyncConnectionPool

from application.health import Readiness
from infrastructure.persistence.database import Database, Databases
from infrastructure.persistence.replica import ReadRouting
from infrastructure.persistence.statements import Connection


class InMemoryReadinessProbe:
    """The in-memory adapter has nothing to wait for."""

    async def check(self) -> Readiness:
        return Readiness(ready=True, detail="in-memory repository")


class PostgresReadinessProbe:
    """One query answers both questions: does the primary answer, and is its schema current?

    A read replica never makes the process unready: out of reach, too far
    behind or not yet at this code's migration, it is skipped and the primary
    serves the reads that may lag. The answer says which database serves
    them, from the replica probe's last look (see ReplicaMonitor), at no
    query of its own.

    A database out of reach is said to be, with the cause its pool last met
    connecting (see OutageLog): while it cannot connect, the probe's query
    only waits in the pool's line, and that wait is not the database's
    answer, nor is an empty schema.
    """

    def __init__(
        self,
        databases: Databases,
        *,
        expected_revision: str,
        timeout: float,
        routing: ReadRouting | None = None,
    ) -> None:
        self._primary = databases.primary
        self._monitor = None if routing is None else routing.monitor
        self._expected = expected_revision
        self._timeout = timeout

    async def check(self) -> Readiness:
        primary = await self._check(self._primary, "the database", "the schema")
        if not primary.ready or self._monitor is None:
            return primary
        return Readiness(
            ready=True,
            detail=f"{primary.detail}; reads that may lag: {self._monitor.verdict().detail}",
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
