"""The ports through which use cases reach the outbox and the mailed tokens."""

from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol
from uuid import UUID

from domain.mail.entities import NewMail, OutgoingMail
from domain.mail.tokens import MailToken, NewMailToken, TokenPurpose


class MailTokenRepository(Protocol):
    """The single-use tokens, stored as digests; implementations never commit."""

    async def issue(self, token: NewMailToken) -> bool:
        """Store the token; False when its account no longer exists."""
        ...

    async def find(self, digest: bytes, purpose: TokenPurpose) -> MailToken | None:
        """The live token (unspent, unexpired) with this digest and purpose, else None."""
        ...

    async def spend(self, digest: bytes, purpose: TokenPurpose) -> MailToken | None:
        """Spend the live token with this digest and purpose and return it, else None.

        Of two transactions spending one token at once, the second waits for
        the first and then finds it spent (None), once the first commits.
        """
        ...

    async def spend_all(self, user_id: int, purpose: TokenPurpose) -> int:
        """Spend every live token of the account with this purpose; return how many."""
        ...

    async def purge_ended(self) -> int:
        """Delete the tokens that were spent or expired; return how many."""
        ...


class OutboxRepository(Protocol):
    """Mail owed to users, from the commit that caused it to its delivery.

    Delivery is at least once: a mail is claimed for a lease, and one whose
    sender died before saying how it went is claimed again when the lease
    ends, under the same id (its Message-ID).
    """

    async def add(self, mail: NewMail) -> bool:
        """Owe the mail; False when its account no longer exists."""
        ...

    async def claim(self, *, limit: int, lease: timedelta) -> Sequence[OutgoingMail]:
        """Take up to `limit` mails that are due, oldest first, for `lease`.

        A claimed mail is not due again until the lease ends, so senders in
        several processes never take the same mail at once (their claims
        skip rows another holds locked); each claim counts an attempt.
        """
        ...

    async def sent(self, mail_id: UUID) -> None:
        """The mail was delivered: it is due no more."""
        ...

    async def retry(self, mail_id: UUID, *, after: timedelta, error: str) -> None:
        """The attempt failed with `error`: the mail is due again `after` from now."""
        ...

    async def give_up(self, mail_id: UUID, *, error: str) -> None:
        """The mail cannot be delivered (`error`): it is due no more, and stays as failed."""
        ...

    async def purge_ended(self, *, older_than: timedelta) -> int:
        """Delete the mails sent or given up on more than `older_than` ago; return how many."""
        ...
