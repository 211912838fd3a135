"""Which database serves a read that may lag: the replica while close enough, else the primary.

A background probe (`ReplicaMonitor`), not a query per request, says how far
behind the replica is: every second it samples the primary's WAL position,
then the replica's replay position, and keeps the samples of the last few
seconds. The replica holds every write committed before the latest sample it
has replayed, so "behind by at most" is the time since that sample: an idle
primary does not look like lag (as `now() - pg_last_xact_replay_timestamp()`
would), and between two probes the bound grows with the clock, so a replica
that stops replaying is dropped as soon as the bound passes
REPLICA_MAX_LAG_SECONDS, not one probe later.

`ReadRouting` sends a read that may lag to the replica only when it is
reachable, replaying, at this code's schema, and within the bound, and when
the caller (see caller_position) wrote nothing it has not replayed yet.
Anything else is served by the primary, never refused.
"""

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import psycopg

from infrastructure.observability.metrics import ReplicaFigures
from infrastructure.persistence import caller_position, wal
from infrastructure.persistence.database import Database, Databases
from infrastructure.persistence.statements import Connection

logger = logging.getLogger(__name__)

PROBE_INTERVAL_SECONDS: Final = 1.0
REPLICA_WAIT_SECONDS: Final = 1.0
"""How long a read waits for a replica connection before the primary serves it instead."""

_INSERT_POSITION: Final = b"SELECT pg_current_wal_insert_lsn()::text"
_REPLICA_STATE: Final = (
    b"SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,"
    b" (SELECT version_num FROM alembic_version)"
)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether reads that may lag go to the replica now, and what an operator reads about it."""

    on_replica: bool
    detail: str
    lag_seconds: float | None


@dataclass(frozen=True, slots=True)
class _Observation:
    problem: str | None
    replayed: int | None = None
    caught_up_at: float | None = None


class ReplicaMonitor:
    """Probes the replica's lag in the background; `verdict()` answers from the last probe."""

    def __init__(
        self,
        primary: Database,
        replica: Database,
        *,
        max_lag_seconds: float,
        expected_revision: str,
        interval: float = PROBE_INTERVAL_SECONDS,
        timeout: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._primary = primary
        self._replica = replica
        self.max_lag_seconds: Final = max_lag_seconds
        self._expected = expected_revision
        self._interval = interval
        self._timeout = timeout
        self._clock = clock
        self._samples: deque[tuple[float, int]] = deque()
        self._observed = _Observation(problem="not probed yet")
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="replica-lag")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            await self.probe()
            await asyncio.sleep(self._interval)

    async def probe(self) -> None:
        """Sample the primary, then the replica; a failure is recorded, never raised."""
        try:
            async with asyncio.timeout(self._timeout):
                await self._sample_primary()
        except Exception as error:
            logger.debug("replica probe: the primary did not answer: %r", error)
        try:
            async with asyncio.timeout(self._timeout):
                self._observed = await self._observe_replica()
        except TimeoutError:
            cause = self._replica.outage.cause
            self._observed = _Observation(
                problem=f"did not answer in {self._timeout:g} s"
                if cause is None
                else f"unreachable: {cause}"
            )
        except Exception as error:
            self.mark_unreachable(error)

    def mark_unreachable(self, error: BaseException) -> None:
        """A read found the replica out of reach: skip it until a probe finds it back."""
        cause = self._replica.outage.cause or self._replica.outage.describe(error)
        self._observed = _Observation(problem=f"unreachable: {cause}")

    @property
    def replayed(self) -> int | None:
        """The replica's replay position at the last probe (it has replayed at least that)."""
        return self._observed.replayed

    def verdict(self) -> Verdict:
        observed = self._observed
        if observed.problem is not None:
            return Verdict(False, f"on the primary: the read replica is {observed.problem}", None)
        lag = self._lag(observed)
        if lag is None or lag > self.max_lag_seconds:
            behind = "behind" if lag is None else f"{lag:.1f} s behind"
            return Verdict(
                False,
                f"on the primary: the read replica is {behind}, more than "
                f"REPLICA_MAX_LAG_SECONDS ({self.max_lag_seconds:g} s)",
                lag,
            )
        return Verdict(True, f"on the read replica, at most {lag:.1f} s behind", lag)

    def _lag(self, observed: _Observation) -> float | None:
        if observed.caught_up_at is None:
            if not self._samples:
                return None
            return self._clock() - self._samples[0][0]
        return self._clock() - observed.caught_up_at

    async def _sample_primary(self) -> None:
        async with self._primary.pool.connection(timeout=self._timeout) as connection:
            position = await _position(connection, _INSERT_POSITION)
        now = self._clock()
        self._samples.append((now, wal.record_end(position)))
        horizon = now - self.max_lag_seconds - 2 * self._interval
        while len(self._samples) > 1 and self._samples[0][0] < horizon:
            self._samples.popleft()

    async def _observe_replica(self) -> _Observation:
        async with self._replica.pool.connection(timeout=self._timeout) as connection:
            cursor = await connection.execute(_REPLICA_STATE)
            row = await cursor.fetchone()
        if row is None or not row[0] or row[1] is None:
            return _Observation(problem="not a standby in recovery (promoted, or not streaming)")
        if row[2] != self._expected:
            return _Observation(
                problem=f"at schema {row[2] or 'none'}, this code needs {self._expected}"
            )
        replayed = wal.parse(str(row[1]))
        caught_up_at = None
        for sampled_at, position in reversed(self._samples):
            if replayed is not None and position <= replayed:
                caught_up_at = sampled_at
                break
        return _Observation(problem=None, replayed=replayed, caught_up_at=caught_up_at)


async def _position(connection: Connection, query: bytes) -> int:
    cursor = await connection.execute(query)
    row = await cursor.fetchone()
    position = None if row is None else wal.parse(str(row[0]))
    if position is None:
        raise RuntimeError(f"no WAL position in {row!r}")
    return position


class ReadRouting:
    """Picks the database of each read that may lag, and notes where each write committed.

    Without a monitor (no replica, or a test of the replica itself) the
    choice is fixed: the replica when there is one, else the primary.
    """

    def __init__(self, databases: Databases, monitor: ReplicaMonitor | None = None) -> None:
        self.primary: Final = databases.primary
        self.replica: Final = databases.replica
        self.monitor: Final = monitor
        self.reads: Final[Counter[str]] = Counter()
        """Reads that may lag, by why their database served them: `replica`; else on the primary,
        `caller_write` (the replica had not replayed the caller's write), `replica_unusable`
        (behind, unreachable, not streaming) or `replica_failed` (no replica connection)."""

    @property
    def tracks_writes(self) -> bool:
        """Whether a commit must note its WAL position for its caller's next reads."""
        return self.monitor is not None

    def for_lagging_read(self) -> Database:
        if self.replica is None:
            return self.primary
        monitor = self.monitor
        if monitor is None:
            return self.replica
        if not monitor.verdict().on_replica:
            self.reads["replica_unusable"] += 1
            return self.primary
        position = caller_position.current()
        needed = None if position is None else position.needed
        if needed is not None and (monitor.replayed is None or monitor.replayed < needed):
            self.reads["caller_write"] += 1
            return self.primary
        self.reads["replica"] += 1
        return self.replica

    def figures(self) -> ReplicaFigures | None:
        """What /metrics shows of the replica; None without a probed one."""
        if self.monitor is None:
            return None
        verdict = self.monitor.verdict()
        return ReplicaFigures(
            lag_seconds=verdict.lag_seconds, on_replica=verdict.on_replica, reads=dict(self.reads)
        )

    def replica_failed(self, error: BaseException) -> None:
        """A read could not get a replica connection: the primary serves it, and the next ones."""
        self.reads["replica_failed"] += 1
        if self.monitor is not None:
            self.monitor.mark_unreachable(error)

    async def committed(self, connection: Connection) -> None:
        """Note the WAL position just after a commit on `connection`, for the caller's next reads.

        Right after the COMMIT, on the same connection, now idle: one round
        trip, paid only with a replica and inside a request. The insert
        position, not `pg_current_wal_lsn()`: with `synchronous_commit = off`
        the latter may still be short of the commit record.
        """
        position = caller_position.current()
        if position is None or self.monitor is None:
            return
        try:
            await connection.set_autocommit(True)
            written = wal.record_end(await _position(connection, _INSERT_POSITION))
        except psycopg.Error as error:
            # The write is committed: it must not fail now. The caller reads on the primary
            # for the cookie's life instead, past which the replica in use has the write.
            logger.warning(
                "no WAL position after a commit (%s): the caller reads on the primary",
                self.primary.outage.describe(error),
            )
            written = wal.LAST
        position.written = written if position.written is None else max(position.written, written)

    def open(self) -> None:
        """Start probing in the background: until a probe has answered, the primary serves."""
        if self.monitor is not None:
            self.monitor.start()

    async def close(self) -> None:
        if self.monitor is not None:
            await self.monitor.stop()


def build_routing(
    databases: Databases, *, max_lag_seconds: float, expected_revision: str, timeout: float
) -> ReadRouting:
    """The routing of a process: with a replica, a monitor of its lag."""
    if databases.replica is None:
        return ReadRouting(databases)
    monitor = ReplicaMonitor(
        databases.primary,
        databases.replica,
        max_lag_seconds=max_lag_seconds,
        expected_revision=expected_revision,
        timeout=timeout,
    )
    return ReadRouting(databases, monitor)
