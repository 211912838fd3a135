"""Blocks of work on a connection lent by the pool: reads in autocommit, writes in a transaction."""

from types import TracebackType
from typing import Final, Self

from domain.errors import StorageUnavailableError
from infrastructure.persistence.audit import PostgresAuditRepository
from infrastructure.persistence.database import Database, Databases
from infrastructure.persistence.errors import is_outage, is_unavailability, unavailability
from infrastructure.persistence.idempotency import PostgresIdempotencyKeyRepository
from infrastructure.persistence.lease import Lease
from infrastructure.persistence.mail_tokens import PostgresMailTokenRepository
from infrastructure.persistence.outbox import PostgresOutboxRepository
from infrastructure.persistence.posts import PostgresPostRepository
from infrastructure.persistence.replica import REPLICA_WAIT_SECONDS, ReadRouting
from infrastructure.persistence.sessions import PostgresSessionRepository
from infrastructure.persistence.statements import Connection
from infrastructure.persistence.users import PostgresUserRepository


class PostgresRepositories:
    """The repositories of one block, on its lease: a new repository is one line here."""

    __slots__ = ("audit", "idempotency_keys", "mail_tokens", "outbox", "posts", "sessions", "users")

    def __init__(self, lease: Lease) -> None:
        self.users: Final = PostgresUserRepository(lease)
        self.posts: Final = PostgresPostRepository(lease)
        self.sessions: Final = PostgresSessionRepository(lease)
        self.audit: Final = PostgresAuditRepository(lease)
        self.idempotency_keys: Final = PostgresIdempotencyKeyRepository(lease)
        self.mail_tokens: Final = PostgresMailTokenRepository(lease)
        self.outbox: Final = PostgresOutboxRepository(lease)


class PostgresUnitOfWork:
    """Opens blocks on the primary's pool, and reads that may lag where `ReadRouting` says.

    It holds nothing but the pools and the routing, so the container builds
    one for the process; each block is an object of its own (see `_Block`).
    """

    __slots__ = ("_primary", "_routing")

    def __init__(self, databases: Databases, routing: ReadRouting | None = None) -> None:
        self._primary: Final = databases.primary
        self._routing: Final = routing or ReadRouting(databases)

    def read(self, *, may_lag: bool = False) -> "PostgresReading":
        if not may_lag:
            return PostgresReading(self._primary)
        database = self._routing.for_lagging_read()
        if database is self._primary:
            return PostgresReading(database)
        return _ReplicaReading(database, self._routing)

    def write(self) -> "PostgresTransaction":
        tracking = self._routing if self._routing.tracks_writes else None
        return PostgresTransaction(self._primary, tracking)


class _Block(PostgresRepositories):
    """A connection borrowed from the pool for the length of an `async with` block.

    A database that cannot be reached, a connection lost midway and a pool
    with no free connection within its timeout (or not open yet) all leave
    the block as StorageUnavailableError, which callers can retry, instead of
    as driver errors; a statement cancelled by `statement_timeout` leaves it
    as StorageTimeoutError, its kind. A connection that broke goes back to
    the pool, which sees it broken and opens another in its place. A lost
    connection is told to the database's OutageLog, which logs the first.
    """

    __slots__ = ("_database", "_lease", "_pool", "_wait")

    def __init__(self, database: Database, wait: float | None = None) -> None:
        self._database = database
        self._pool = database.pool
        self._wait = wait
        self._lease = Lease()
        super().__init__(self._lease)

    async def __aenter__(self) -> Self:
        try:
            connection = await self._database.getconn(self._wait)
        except Exception as error:
            if is_unavailability(error):
                raise self._unavailability(error) from error
            raise
        self._lease.lend(connection)
        try:
            await self._begin(connection)
        except BaseException as error:
            await self._give_back(broken=True)
            if isinstance(error, Exception) and is_unavailability(error):
                raise self._unavailability(error) from error
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection = self._lease.connection
        try:
            await self._end(connection)
        except BaseException as error:
            # Given back even when cancelled here: a lost connection would shrink the pool.
            await self._give_back(broken=True)
            if not isinstance(error, Exception):
                raise
            if exc is None:
                if is_unavailability(error):
                    raise self._unavailability(error) from error
                raise
        else:
            await self._give_back(broken=False)
        if exc is not None and is_unavailability(exc):
            raise self._unavailability(exc) from exc

    def _unavailability(self, error: BaseException) -> StorageUnavailableError:
        if is_outage(error):
            self._database.outage.unreachable(error)
        return unavailability(error)

    async def _begin(self, connection: Connection) -> None:
        """Set the connection up for the block; the pool lends it in autocommit."""

    async def _end(self, connection: Connection) -> None:
        """Leave the connection as the pool lent it."""

    async def _give_back(self, *, broken: bool) -> None:
        connection = self._lease.take_back()
        if connection is None:
            return
        if broken:
            # The pool sees a closed connection and opens another in its place.
            await connection.close()
        await self._pool.putconn(connection)


class PostgresReading(_Block):
    """A block of reads in autocommit: each statement alone, no BEGIN and no ROLLBACK."""

    __slots__ = ()


class _ReplicaReading(PostgresReading):
    """Reads on the replica; one that gets no replica connection within REPLICA_WAIT_SECONDS
    runs on the primary instead (and tells the routing, which skips the replica from then)."""

    __slots__ = ("_routing",)

    def __init__(self, replica: Database, routing: ReadRouting) -> None:
        super().__init__(replica, wait=REPLICA_WAIT_SECONDS)
        self._routing = routing

    async def __aenter__(self) -> Self:
        try:
            return await super().__aenter__()
        except StorageUnavailableError as error:
            self._routing.replica_failed(error.__cause__ or error)
        primary = self._routing.primary
        self._database, self._pool, self._wait = primary, primary.pool, None
        return await super().__aenter__()


class PostgresTransaction(_Block):
    """A block that is one transaction, begun by its first statement, rolled back unless
    committed; with a replica, the commit's WAL position is noted for the caller's reads."""

    __slots__ = ("_tracking",)

    def __init__(self, database: Database, tracking: ReadRouting | None = None) -> None:
        super().__init__(database)
        self._tracking = tracking

    async def commit(self) -> None:
        await self._lease.connection.commit()
        if self._tracking is not None:
            await self._tracking.committed(self._lease.connection)

    async def _begin(self, connection: Connection) -> None:
        await connection.set_autocommit(False)

    async def _end(self, connection: Connection) -> None:
        if connection.broken:
            # Lost (after its COMMIT, say): nothing to undo, and the pool replaces it.
            return
        # Nothing to undo after a commit: psycopg then sends no ROLLBACK.
        await connection.rollback()
        await connection.set_autocommit(True)
