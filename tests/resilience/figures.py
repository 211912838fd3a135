"""What each scenario proved, in numbers: printed as it runs and again at the end of the run.

The end-of-run summary (see this package's conftest) is what a reader of
`make test` sees without flags; the line printed in the test itself shows up
with `-s` or `-rA`, and in the report of a failing test.
"""

from collections import Counter
from dataclasses import dataclass, field

LINES: list[str] = []
"""Every scenario's figures, in the order they ran."""

_SERVICE_UNAVAILABLE = 503


@dataclass
class Tally:
    """Counts the answers one scenario got, by status class."""

    scenario: str
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0
    writes_verified: int = 0

    def count(self, status: int | None) -> None:
        """One answer; None is a request that got no HTTP answer at all."""
        if status is None:
            self.transport_errors += 1
        else:
            self.statuses[status] += 1

    @property
    def sent(self) -> int:
        return self.statuses.total() + self.transport_errors

    @property
    def succeeded(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    @property
    def unavailable(self) -> int:
        return self.statuses[_SERVICE_UNAVAILABLE]

    @property
    def other_5xx(self) -> int:
        return sum(
            n
            for status, n in self.statuses.items()
            if status >= 500 and status != _SERVICE_UNAVAILABLE
        )

    def report(self, **extra: object) -> str:
        """Print the figures and keep them for the end-of-run summary."""
        others = {
            status: n
            for status, n in sorted(self.statuses.items())
            if not 200 <= status < 300 and status < 500
        }
        parts = [
            f"sent={self.sent}",
            f"2xx={self.succeeded}",
            f"503={self.unavailable}",
            f"other_5xx={self.other_5xx}",
            f"no_answer={self.transport_errors}",
            f"writes_verified={self.writes_verified}",
            *(f"{status}={n}" for status, n in others.items()),
            *(f"{name}={value}" for name, value in extra.items()),
        ]
        line = f"{self.scenario}: " + " ".join(parts)
        print(line)
        LINES.append(line)
        return line
