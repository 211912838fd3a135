"""Reclaiming what mail leaves behind: spent or expired tokens, and mail long delivered."""

from datetime import timedelta
from typing import Final

from application.unit_of_work import UnitOfWork

ENDED_MAIL_KEPT: Final = timedelta(days=7)
"""How long a sent or given-up mail stays in the outbox: long enough for an operator to see
what went out, or why not; not longer, as it holds an address and a name."""


class MailUpkeep:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def purge_ended(self) -> tuple[int, int]:
        """Delete the ended tokens and the mail ended more than ENDED_MAIL_KEPT ago; return
        how many of each."""
        async with self._uow.write() as tx:
            tokens = await tx.mail_tokens.purge_ended()
            mails = await tx.outbox.purge_ended(older_than=ENDED_MAIL_KEPT)
            await tx.commit()
        return tokens, mails
