"""The mail a change owes, written into the change's own transaction."""

from collections.abc import Callable
from datetime import timedelta
from typing import Final
from uuid import UUID, uuid4

from application.mail.ports import MailTokenKeys
from application.unit_of_work import Transaction
from domain.mail import MailKind, NewMail, NewMailToken, TokenPurpose
from domain.users import User

DEFAULT_VERIFICATION_LIFETIME: Final = timedelta(hours=24)
DEFAULT_RESET_LIFETIME: Final = timedelta(minutes=30)


class Letters:
    """Writes mails, and the tokens their links carry, into a use case's transaction.

    Nothing is sent here: the mail is owed once the transaction commits, and
    a rolled-back change owes none. `posted` tells this process's sender to
    look at once, instead of at its next poll.
    """

    def __init__(
        self,
        keys: MailTokenKeys,
        *,
        verification_lifetime: timedelta = DEFAULT_VERIFICATION_LIFETIME,
        reset_lifetime: timedelta = DEFAULT_RESET_LIFETIME,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self._keys = keys
        self._verification_lifetime = verification_lifetime
        self._reset_lifetime = reset_lifetime
        self._wake = wake

    async def verification(self, tx: Transaction, user: User) -> None:
        """The link that proves the account's own address."""
        await self._with_token(
            tx, user, MailKind.VERIFY_EMAIL, user.email, TokenPurpose.VERIFY_EMAIL
        )

    async def email_change(self, tx: Transaction, user: User, new_email: str) -> None:
        """The link that moves the account to `new_email`, sent there, and a word to the
        address it has now, whose owner may not be the one who asked."""
        await self._with_token(
            tx, user, MailKind.CONFIRM_NEW_EMAIL, new_email, TokenPurpose.VERIFY_EMAIL
        )
        await self.notice(tx, user, MailKind.EMAIL_CHANGE_REQUESTED, detail=new_email)

    async def password_reset(self, tx: Transaction, user: User) -> None:
        """The link that sets a new password, to the account's address."""
        await self._with_token(
            tx, user, MailKind.RESET_PASSWORD, user.email, TokenPurpose.RESET_PASSWORD
        )

    async def notice(
        self, tx: Transaction, user: User, kind: MailKind, *, detail: str = ""
    ) -> None:
        """A mail without a link, to the account's address."""
        await tx.outbox.add(_mail(user, kind, user.email, detail=detail))

    def posted(self) -> None:
        """Call once the transaction that wrote mails committed."""
        self._wake()

    async def _with_token(
        self,
        tx: Transaction,
        user: User,
        kind: MailKind,
        recipient: str,
        purpose: TokenPurpose,
    ) -> None:
        lifetime = (
            self._reset_lifetime
            if purpose is TokenPurpose.RESET_PASSWORD
            else self._verification_lifetime
        )
        token_id = uuid4()
        token = NewMailToken(
            id=token_id,
            digest=self._keys.derive(token_id).digest,
            user_id=user.id,
            purpose=purpose,
            email=recipient,
            lifetime=lifetime,
        )
        await tx.mail_tokens.issue(token)
        await tx.outbox.add(_mail(user, kind, recipient, token_id=token.id, valid_for=lifetime))


def _mail(
    user: User,
    kind: MailKind,
    recipient: str,
    *,
    token_id: UUID | None = None,
    valid_for: timedelta | None = None,
    detail: str = "",
) -> NewMail:
    return NewMail(
        id=uuid4(),
        user_id=user.id,
        kind=kind,
        recipient=recipient,
        username=user.username,
        token_id=token_id,
        valid_for=valid_for,
        detail=detail,
    )
