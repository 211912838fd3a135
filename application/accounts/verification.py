"""Proving an address: a new account's, or the one an account asked to move to."""

from application.mail.letters import Letters
from application.mail.ports import MailTokenKeys
from application.unit_of_work import UnitOfWork
from domain.audit import AuditKind, NewAuditEvent, Origin, user_target
from domain.errors import ConflictError
from domain.mail import InvalidMailTokenError, TokenPurpose
from domain.users import User, UserNotFoundError


class EmailAlreadyVerifiedError(ConflictError):
    def __init__(self) -> None:
        super().__init__("This account's address is verified already, and no move is pending")


class EmailVerificationService:
    """Spends verification links, and mails new ones on request."""

    def __init__(self, uow: UnitOfWork, keys: MailTokenKeys, letters: Letters) -> None:
        self._uow = uow
        self._keys = keys
        self._letters = letters

    async def verify_email(self, token: str, *, origin: Origin | None = None) -> User:
        """Spend the token, and prove the address it was mailed to.

        - The account's own address: it becomes verified.
        - The address it asked to move to: it becomes the account's, verified,
          as the only copy of a link that only that mailbox received proves.
          An account that took the address meanwhile makes it a 409
          (EmailAlreadyRegisteredError), and the token stays unspent.
        - A token unknown, spent, expired, or for an address the account
          neither has nor is moving to any more (a newer move replaced it):
          InvalidMailTokenError, the same for all.
        """
        digest = self._keys.digest(token)
        if digest is None:
            raise InvalidMailTokenError
        async with self._uow.write() as tx:
            spent = await tx.mail_tokens.spend(digest, TokenPurpose.VERIFY_EMAIL)
            if spent is None:
                raise InvalidMailTokenError
            user = await tx.users.get(spent.user_id, for_update=True)
            proven = None if user is None else user.proven(spent.email)
            if user is None or proven is None:
                raise InvalidMailTokenError
            if proven == user:  # verified already: the token is spent, nothing else changes
                await tx.commit()
                return user
            updated = await tx.users.update(proven)
            if updated is None:
                raise InvalidMailTokenError
            if updated.email != user.email:
                await tx.audit.record(
                    NewAuditEvent(
                        kind=AuditKind.EMAIL_CHANGED,
                        actor_id=user.id,
                        target=user_target(user.id),
                        origin=origin or Origin(),
                    )
                )
            await tx.commit()
        return updated

    async def send_again(self, caller: User) -> None:
        """Mail a new link: to the address a move is pending to, else to the account's own.

        The links sent before stay valid until they expire: whichever the owner
        finds first works. EmailAlreadyVerifiedError when nothing needs proving.
        """
        async with self._uow.write() as tx:
            user = await tx.users.get(caller.id)
            if user is None:
                raise UserNotFoundError
            if user.pending_email is not None:
                await self._letters.email_change(tx, user, user.pending_email)
            elif not user.email_verified:
                await self._letters.verification(tx, user)
            else:
                raise EmailAlreadyVerifiedError
            await tx.commit()
        self._letters.posted()
