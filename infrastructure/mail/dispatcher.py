"""The sender in each serving process: delivers the outbox in the background of the app."""

import asyncio
import contextlib
import logging
from typing import Final

from application.mail.sender import OutboxSender
from domain.errors import StorageError

_log: Final = logging.getLogger(__name__)

STOP_GRACE_SECONDS: Final = 5.0
"""What a pass under way gets to finish when the process stops; cut short, its mails are
sent again once their claim's lease ends (at least once, under the same Message-IDs)."""


class MailDispatcher:
    """Runs `OutboxSender.send_due` now and then, and at once when woken.

    One per serving process, and several processes may share the outbox:
    their claims never take the same mail. A process started after another
    died delivers what that one left, so mail needs no worker of its own.
    """

    def __init__(self, sender: OutboxSender, *, poll_seconds: float) -> None:
        self._sender = sender
        self._poll = poll_seconds
        self._woken = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(self._run(), name="mail sender")

    def wake(self) -> None:
        """Mail was committed: look now rather than at the next poll."""
        self._woken.set()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._woken.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), STOP_GRACE_SECONDS)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while not self._stopping:
            self._woken.clear()
            try:
                await self._sender.send_due()
            except StorageError as error:
                _log.warning("the outbox cannot be read now (%s); mail waits", error)
            except Exception:
                _log.exception("the mail sender failed; it goes on at its next poll")
            if self._stopping:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), self._poll)
