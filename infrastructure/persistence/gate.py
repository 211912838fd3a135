"""A first-come, first-served queue in front of the connection pool."""

import asyncio
from collections import deque
from contextlib import suppress


class ConnectionGate:
    """Lets at most `capacity` units of work hold a connection; the rest wait in arrival order.

    SQLAlchemy's asyncio pool is not fair: a connection coming back is taken
    by whichever coroutine asks next, and a request that found the pool empty
    is woken only to find it empty again and queue at the back. Under more
    concurrent requests than connections, a few of them starve until the pool
    timeout and fail while the others are served. This gate admits requests
    in the order they arrived, at the pool's capacity, so the pool itself
    never has to make anyone wait; a wait longer than `timeout` raises
    TimeoutError, as the pool's own timeout would.
    """

    def __init__(self, capacity: int, *, timeout: float) -> None:
        if capacity < 1:
            raise ValueError("a gate admits at least one unit of work")
        self._free = capacity
        self._timeout = timeout
        self._waiting: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return sum(not future.done() for future in self._waiting)

    async def enter(self) -> None:
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        admitted = asyncio.get_running_loop().create_future()
        self._waiting.append(admitted)
        try:
            async with asyncio.timeout(self._timeout):
                await admitted
        except BaseException:
            if admitted.done() and not admitted.cancelled():
                # Admitted in the same instant as the timeout or a cancellation: pass the
                # place on rather than lose it.
                self.leave()
            else:
                with suppress(ValueError):
                    self._waiting.remove(admitted)
            raise

    def leave(self) -> None:
        """Hand the place to the longest waiting unit of work, or free it."""
        while self._waiting:
            admitted = self._waiting.popleft()
            if not admitted.done():
                admitted.set_result(None)
                return
        self._free += 1
