"""Readiness: can this process serve requests that need the database?"""

import asyncio
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    detail: str
    schema_revision: str | None = None


class ReadinessProbe(Protocol):
    async def check(self) -> Readiness: ...


class InMemoryReadinessProbe:
    """The in-memory adapter has nothing to wait for."""

    async def check(self) -> Readiness:
        return Readiness(ready=True, detail="in-memory repository")


class PostgresReadinessProbe:
    """One query answers both questions: does the database answer, and is its schema current?"""

    def __init__(self, engine: AsyncEngine, *, expected_revision: str, timeout: float) -> None:
        self._engine = engine
        self._expected = expected_revision
        self._timeout = timeout

    async def check(self) -> Readiness:
        try:
            revision = await asyncio.wait_for(self._revision(), timeout=self._timeout)
        except TimeoutError:
            return Readiness(
                ready=False, detail=f"the database did not answer in {self._timeout:g} s"
            )
        except Exception as error:
            return Readiness(
                ready=False, detail=f"the database is unreachable ({type(error).__name__})"
            )
        if revision != self._expected:
            return Readiness(
                ready=False,
                detail=(
                    f"the schema is at {revision or 'no revision'}, "
                    f"this code needs {self._expected}"
                ),
                schema_revision=revision,
            )
        return Readiness(
            ready=True, detail="database reachable, schema at head", schema_revision=revision
        )

    async def _revision(self) -> str | None:
        async with self._engine.connect() as connection:
            try:
                result = await connection.execute(text("SELECT version_num FROM alembic_version"))
            except Exception:
                return None
            return result.scalar_one_or_none()
