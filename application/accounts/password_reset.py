"""Recovering an account whose password is lost, through a link mailed to its address."""

from dataclasses import replace

from application.mail.letters import Letters
from application.mail.ports import MailTokenKeys
from application.ports import PasswordHasher, PasswordStrength
from application.unit_of_work import UnitOfWork
from domain.audit import AuditKind, NewAuditEvent, Origin, user_target
from domain.mail import InvalidMailTokenError, MailKind, TokenPurpose
from domain.sessions import RevocationReason
from domain.users.rules import normalize_email, validate_password


class PasswordResetService:
    """Mails reset links and spends them; neither step tells anyone which accounts exist."""

    def __init__(
        self,
        uow: UnitOfWork,
        password_hasher: PasswordHasher,
        password_strength: PasswordStrength,
        keys: MailTokenKeys,
        letters: Letters,
    ) -> None:
        self._uow = uow
        self._hasher = password_hasher
        self._strength = password_strength
        self._keys = keys
        self._letters = letters

    async def request(self, email: str) -> None:
        """Owe a reset link to the active account with this address, if there is one.

        Whether there is one is not said, nor shown in the time taken: the
        same statements open and close the transaction either way, and
        nothing slow (no hash, no mail server) happens in the request; the
        mail goes out from the outbox. An address no account could have is
        a ValidationError, which says nothing about accounts either.
        """
        address = normalize_email(email)
        async with self._uow.write() as tx:
            user = await tx.users.get_by_email(address)
            owed = user is not None and user.active
            if user is not None and owed:
                await self._letters.password_reset(tx, user)
            await tx.commit()
        if owed:
            self._letters.posted()

    async def reset(self, token: str, new_password: str, *, origin: Origin | None = None) -> None:
        """Set the password the link's bearer chose, spending the link; every session ends.

        - The new password meets registration's rules, strength included.
        - A token unknown, spent or expired, or mailed to an address the
          account no longer has, or of an account deactivated since:
          InvalidMailTokenError, the same for all, and nothing changes.
        - Using the link proves the mailbox: the address becomes verified.
        - Every other reset link of the account is spent, every session
          revoked (whoever held one may be why the password was lost), and
          the address is told, in the same transaction.
        """
        validate_password(new_password)
        digest = self._keys.digest(token)
        if digest is None:
            raise InvalidMailTokenError
        async with self._uow.read() as repos:
            found = await repos.mail_tokens.find(digest, TokenPurpose.RESET_PASSWORD)
            user = None if found is None else await repos.users.get(found.user_id)
        if found is None or user is None or not user.active or user.email != found.email:
            raise InvalidMailTokenError
        local_part = user.email.rpartition("@")[0]
        await self._strength.refuse_if_weak(
            new_password, user_inputs=(user.username, user.email, local_part)
        )
        password_hash = await self._hasher.hash(new_password)
        async with self._uow.write() as tx:
            spent = await tx.mail_tokens.spend(digest, TokenPurpose.RESET_PASSWORD)
            latest = None if spent is None else await tx.users.get(spent.user_id, for_update=True)
            if spent is None or latest is None or not latest.active or latest.email != spent.email:
                raise InvalidMailTokenError
            changed = replace(latest.changed(password_hash=password_hash), email_verified=True)
            if await tx.users.update(changed) is None:
                raise InvalidMailTokenError
            await tx.mail_tokens.spend_all(latest.id, TokenPurpose.RESET_PASSWORD)
            ended = await tx.sessions.revoke_all(latest.id, reason=RevocationReason.PASSWORD_RESET)
            await tx.audit.record(
                NewAuditEvent(
                    kind=AuditKind.PASSWORD_RESET,
                    actor_id=latest.id,
                    target=user_target(latest.id),
                    detail=f"{ended} sessions ended",
                    origin=origin or Origin(),
                )
            )
            await self._letters.notice(tx, latest, MailKind.PASSWORD_WAS_RESET)
            await tx.commit()
        self._letters.posted()
