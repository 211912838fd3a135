"""The readiness port: can this process serve the requests that need its storage?

The HTTP layer's `/health/ready` asks it; each adapter answers for what it
depends on (PostgreSQL and its schema, or nothing at all for the in-memory one).
"""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Readiness:
    """The answer, with a detail an operator can act on and the schema found, when asked."""

    ready: bool
    detail: str
    schema_revision: str | None = None


class ReadinessProbe(Protocol):
    async def check(self) -> Readiness:
        """Answer within the probe's own time limit; a failure is an answer, never an error."""
        ...
