"""A fixed number of threads for expensive password work, with a bounded queue in front."""

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from domain.errors import BusyError

Result = TypeVar("Result")


class PasswordWorkBusyError(BusyError):
    def __init__(self) -> None:
        super().__init__("Too many passwords are being checked right now; try again shortly")


class BoundedExecutor:
    """Runs blocking calls on `concurrency` threads; past `queue` waiting, refuses at once.

    An argon2 hash holds its whole memory cost (64 MiB by default) while it
    runs, so the number running at once is what bounds a worker's memory:
    asyncio's default executor runs as many as it has threads. The queue
    bounds the wait: a request that would wait behind more than `queue`
    others is told to come back (PasswordWorkBusyError, a 503) instead of
    piling up until its client gives up.

    The counters are for operators and tests: how many calls ran, the most
    that ever ran at once, and how many were refused.
    """

    def __init__(self, *, concurrency: int, queue: int, name: str) -> None:
        self._threads = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=name)
        self._capacity = concurrency + queue
        # Calls are admitted on the event loop and finish on the threads.
        self._lock = threading.Lock()
        self._admitted = 0
        self._running = 0
        self.completed = 0
        self.peak_running = 0
        self.refused = 0

    async def run(self, function: Callable[..., Result], *args: object) -> Result:
        """`function(*args)` on one of the threads, once one is free."""
        with self._lock:
            if self._admitted >= self._capacity:
                self.refused += 1
                raise PasswordWorkBusyError
            self._admitted += 1
        # Released when the call ends on its thread, not when the caller stops
        # waiting: a cancelled request's hash still holds its memory until it is done.
        future = self._threads.submit(self._call, function, *args)
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)

    def _call(self, function: Callable[..., Result], *args: object) -> Result:
        with self._lock:
            self._running += 1
            self.peak_running = max(self.peak_running, self._running)
        try:
            return function(*args)
        finally:
            with self._lock:
                self._running -= 1
                self.completed += 1

    def _release(self, _: "Future[Any]") -> None:
        with self._lock:
            self._admitted -= 1

    def shutdown(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
