"""Delivering the outbox: claim what is due, compose it, send it, and say how it went."""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from application.mail.ports import (
    DeliveryOutcome,
    DeliveryTracing,
    MailComposer,
    MailDeliveryError,
    Mailer,
    MailTokenKeys,
)
from application.unit_of_work import UnitOfWork
from domain.mail import OutgoingMail

_log: Final = logging.getLogger(__name__)

MAX_RETRY_WAIT: Final = timedelta(hours=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """How the sender paces itself."""

    first_retry: timedelta = timedelta(seconds=30)
    """The wait after a first failure; it doubles with each one after, to MAX_RETRY_WAIT."""
    max_attempts: int = 10
    batch: int = 5
    """Mails claimed at once."""
    attempt_timeout: timedelta = timedelta(seconds=10)
    """What one send may take; a claim's lease covers a batch of them, and more."""

    @property
    def lease(self) -> timedelta:
        """How long a claim keeps a mail from other senders: past it, a sender that died
        mid-batch has its mails taken again, under the same Message-IDs."""
        return self.attempt_timeout * (self.batch + 1)

    def wait_after(self, attempts: int) -> timedelta:
        doublings = min(max(attempts - 1, 0), 32)  # past an hour long before 32
        return min(self.first_retry * (1 << doublings), MAX_RETRY_WAIT)


class _Untraced:
    """The sender's tracing when traces are off: nothing."""

    def claiming(self) -> nullcontext[None]:
        return nullcontext()

    @contextmanager
    def delivering(self, mail: OutgoingMail) -> Iterator[Callable[[DeliveryOutcome], None]]:
        yield lambda outcome: None


UNTRACED: Final[DeliveryTracing] = _Untraced()


class OutboxSender:
    """Sends committed mail at least once; a retry keeps the mail's Message-ID.

    A claim commits before anything is sent, so no transaction is open while
    the mail server is slow; each outcome is stored in a transaction of its own.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        mailer: Mailer,
        composer: MailComposer,
        keys: MailTokenKeys,
        *,
        delivery: Delivery | None = None,
        tracing: DeliveryTracing = UNTRACED,
    ) -> None:
        self._uow = uow
        self._mailer = mailer
        self._composer = composer
        self._keys = keys
        self._delivery = delivery or Delivery()
        self._tracing = tracing

    async def send_due(self) -> int:
        """Send the mail that is due, a batch at a time, until none is; return how many went."""
        sent = 0
        while True:
            with self._tracing.claiming():
                async with self._uow.write() as tx:
                    claimed = await tx.outbox.claim(
                        limit=self._delivery.batch, lease=self._delivery.lease
                    )
                    await tx.commit()
            if not claimed:
                return sent
            for mail in claimed:
                with self._tracing.delivering(mail) as told:
                    outcome = await self._send(mail)
                    told(outcome)
                sent += outcome is DeliveryOutcome.SENT

    async def _send(self, mail: OutgoingMail) -> DeliveryOutcome:
        try:
            token = None if mail.token_id is None else self._keys.derive(mail.token_id).token
            message = self._composer.compose(mail, token=token)
        except ValueError as error:  # a template or a row the composer cannot use: a bug
            _log.exception("mail %s (%s) cannot be composed; given up", mail.id, mail.kind)
            await self._give_up(mail, f"cannot be composed: {error}")
            return DeliveryOutcome.GIVEN_UP
        try:
            await self._mailer.send(message)
        except MailDeliveryError as error:
            return await self._failed(mail, error)
        async with self._uow.write() as tx:
            await tx.outbox.sent(mail.id)
            await tx.commit()
        _log.info("mail %s (%s) sent, attempt %d", mail.id, mail.kind, mail.attempts)
        return DeliveryOutcome.SENT

    async def _failed(self, mail: OutgoingMail, error: MailDeliveryError) -> DeliveryOutcome:
        reason = str(error)
        if error.permanent or mail.attempts >= self._delivery.max_attempts:
            _log.error(
                "mail %s (%s) given up after %d attempts: %s",
                mail.id,
                mail.kind,
                mail.attempts,
                reason,
            )
            await self._give_up(mail, reason)
            return DeliveryOutcome.GIVEN_UP
        wait = self._delivery.wait_after(mail.attempts)
        _log.warning(
            "mail %s (%s) not sent (attempt %d): %s; next try in %d s",
            mail.id,
            mail.kind,
            mail.attempts,
            reason,
            wait.total_seconds(),
        )
        async with self._uow.write() as tx:
            await tx.outbox.retry(mail.id, after=wait, error=reason)
            await tx.commit()
        return DeliveryOutcome.RETRY

    async def _give_up(self, mail: OutgoingMail, reason: str) -> None:
        async with self._uow.write() as tx:
            await tx.outbox.give_up(mail.id, error=reason)
            await tx.commit()
