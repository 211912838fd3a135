"""Registering, finding, listing, changing and deleting users."""

from dataclasses import replace
from datetime import timedelta
from uuid import UUID

from application.idempotency import DEFAULT_KEY_LIFETIME, IdempotencyGuard, Once, Outcome
from application.mail.letters import Letters
from application.pagination import Page, PageRequest, trim
from application.ports import PasswordGuesses, PasswordHasher, PasswordStrength
from application.preconditions import Precondition, pin
from application.unit_of_work import Repositories, Transaction, UnitOfWork
from application.users.commands import RegisterUser, UpdateUser
from domain.audit import AuditKind, NewAuditEvent, Origin, user_target
from domain.authorization import Action, authorize
from domain.errors import ConflictError
from domain.idempotency import CreatedResource
from domain.mail import TokenPurpose
from domain.sessions import RevocationReason
from domain.users import (
    CredentialsChangedMeanwhileError,
    CurrentPasswordRequiredError,
    EmailAlreadyRegisteredError,
    LastAdminError,
    NewUser,
    Role,
    User,
    UsernameAlreadyTakenError,
    UserNotFoundError,
    WrongCurrentPasswordError,
)
from domain.users.rules import validate_password, validate_username


class UserService:
    """The user use cases; each one owns its transactions."""

    def __init__(
        self,
        uow: UnitOfWork,
        password_hasher: PasswordHasher,
        password_strength: PasswordStrength,
        *,
        letters: Letters | None = None,
        idempotency_key_lifetime: timedelta = DEFAULT_KEY_LIFETIME,
    ) -> None:
        """Without `letters` the use cases owe no mail: for tests of the other rules only;
        the container always gives it."""
        self._uow = uow
        self._hasher = password_hasher
        self._strength = password_strength
        self._letters = letters
        self._keys = IdempotencyGuard(idempotency_key_lifetime)

    async def register_user(self, command: RegisterUser, *, role: Role = Role.MEMBER) -> User:
        """Create an account; a member, unless `role` says otherwise (`create-user --admin`).

        - The email is stored lower-cased; email and username are unique
          regardless of case.
        - A password that is easy to guess is refused (WeakPasswordError).
        - The password is stored only as its hash.
        - The mail that proves the address is owed in the transaction that
          stores the account: a registration that rolls back sends nothing.
        - The look-ups run in their own short transaction so that a duplicate
          is answered without paying for the strength estimate or the hash,
          and no connection is held while the hash is computed. They are only
          a fast path: the unique indexes behind `add` are what hold under
          concurrent registrations.
        """
        candidate = replace(_candidate(command), role=role)
        async with self._uow.read() as repos:
            if (taken := await _taken(repos, candidate)) is not None:
                raise taken
        await self._refuse_if_weak(command.password, candidate)
        hashed = replace(candidate, password_hash=await self._hasher.hash(command.password))
        async with self._uow.write() as tx:
            user = await tx.users.add(hashed)
            await self._verification(tx, user)
            await tx.commit()
        self._posted()
        return user

    async def _verification(self, tx: Transaction, user: User) -> None:
        if self._letters is not None:
            await self._letters.verification(tx, user)

    def _posted(self) -> None:
        if self._letters is not None:
            self._letters.posted()

    async def register_user_once(self, command: RegisterUser, once: Once[User]) -> Outcome:
        """`register_user` at most once per idempotency key (see `application.idempotency`).

        Registration has no authenticated caller, so a key's scope is the
        email being registered: two people who pick the same key register
        different emails and never meet, while a retry (the same email) finds
        its answer. The key is checked with the duplicates, before the hash,
        so a replay, a reused key or one in flight costs no hash; it is
        claimed and checked again in the transaction that inserts. The claim
        starts with that transaction, as no connection is held during the
        hash: a repeat that comes while the first is still hashing hashes
        too, then gets the 409 or the replay.
        """
        candidate = _candidate(command)
        scope = f"registration:{candidate.email}"
        async with self._uow.read() as repos:
            replay = await self._keys.replay(repos, scope, once)
            if replay is None and (taken := await _taken(repos, candidate)) is not None:
                # Each read sees the latest commit: the account found may be this key's
                # own, committed with its key between the two reads. Then replay it.
                replay = await self._keys.replay(repos, scope, once)
                if replay is None:
                    raise taken
            if replay is not None:
                return replay
        await self._refuse_if_weak(command.password, candidate)
        hashed = replace(candidate, password_hash=await self._hasher.hash(command.password))
        async with self._uow.write() as tx:
            if (replay := await self._keys.replay(tx, scope, once)) is not None:
                return replay
            user = await tx.users.add(hashed)
            await self._verification(tx, user)
            created = CreatedResource("user", user.id)
            outcome = await self._keys.record(tx, scope, once, user, resource=created)
            await tx.commit()
        self._posted()
        return outcome

    async def change_role(self, username: str, role: Role) -> User:
        """Give the account `username` the role `role`; the last admin cannot be demoted.

        The admins' rows are locked first, so two demotions at once cannot
        each see the other admin and leave none: the second waits, then sees
        one admin left, and is refused (LastAdminError). The command line has
        no account: the audit trail records the change with no actor.
        """
        async with self._uow.write() as tx:
            admins = await tx.users.lock_admins()
            user = await tx.users.get_by_username(validate_username(username))
            if user is None:
                raise UserNotFoundError
            if role is not Role.ADMIN and list(admins) == [user.id]:
                raise LastAdminError
            changed = await tx.users.set_role(user.id, role)
            if changed is None:
                raise UserNotFoundError
            if changed.role is not user.role:
                await tx.audit.record(role_changed(None, changed, Origin()))
            await tx.commit()
        return changed

    async def get_user(self, user_id: int) -> User:
        async with self._uow.read(may_lag=True) as repos:
            user = await repos.users.get(user_id)
        if user is None:
            raise UserNotFoundError
        return user

    async def list_users(self, page: PageRequest[int] | None = None) -> Page[User]:
        """Return a page of users in id order (the first 100 by default); keys are user ids."""
        page = page or PageRequest()
        page.check()
        async with self._uow.read(may_lag=True) as repos:
            rows = await repos.users.list(
                limit=page.limit + 1, skip=page.skip, after=page.after, before=page.before
            )
        return trim(rows, page)

    async def update_user(
        self,
        actor: User,
        user_id: int,
        command: UpdateUser,
        *,
        expected: Precondition | None = None,
        guesses: PasswordGuesses | None = None,
        keep_session: UUID | None = None,
        origin: Origin | None = None,
    ) -> User:
        """Change one's own email, username or password.

        - The same rules as registration apply, the password's strength
          included, and the same conflicts, which the unique indexes decide.
        - A change of the email or the password needs the current password
          (CurrentPasswordRequiredError without it, WrongCurrentPasswordError
          when it is wrong): a stolen token alone must not take the account
          for good. `guesses` counts each check of it, as logins are counted.
        - Cheapest first: the owner, the rules, the account and `expected`
          (VersionMismatchError), the uniqueness pre-check, the strength, the
          current password; the new password is hashed only once all of them
          have passed, with no connection held. The write then locks the row:
          a change committed meanwhile fails `expected` again, and a password
          changed meanwhile fails the check just made (CredentialsChangedMeanwhileError).
        - A new password ends every session of the account but `keep_session`
          (the caller's), in the same transaction: whoever else held a token
          of the old password's time is signed out.
        - A new email is not the account's until proven: it is stored as
          `pending_email`, and the transaction owes a mail with a link to it
          and a word to the address the account has now. Asking for the
          address the account has drops a pending move.
        - A missing account or someone else's is answered first, as without `expected`.
        """
        authorize(actor, Action.CHANGE_ACCOUNT, owner_id=user_id)
        actor.changed(email=command.email, username=command.username)  # the rules, early
        if command.password is not None:
            validate_password(command.password)
        if command.changes_credentials and command.current_password is None:
            raise CurrentPasswordRequiredError
        async with self._uow.read() as repos:
            current = await repos.users.get(user_id)
            if current is None:
                raise UserNotFoundError
            pin(expected, revision=current.revision, version=current.version)
            if command.changes_nothing:
                return current
            if (taken := await _taken_by_another(repos, current, command)) is not None:
                raise taken
        changed = current.changed(username=command.username)
        if command.password is not None:
            await self._refuse_if_weak(command.password, changed)
        if command.changes_credentials and command.current_password is not None:
            await self._check_current_password(current, command.current_password, guesses)
        password_hash = (
            None if command.password is None else await self._hasher.hash(command.password)
        )
        async with self._uow.write() as tx:
            # Locked, as a post being edited is: parallel changes of different fields all land.
            latest = await tx.users.get(user_id, for_update=True)
            if latest is None:
                raise UserNotFoundError
            expected_version = pin(expected, revision=latest.revision, version=latest.version)
            if command.changes_credentials and latest.password_hash != current.password_hash:
                raise CredentialsChangedMeanwhileError
            wanted = _wanted(latest, command, password_hash)
            updated = await tx.users.update(wanted, expected_version=expected_version)
            if updated is None:
                raise UserNotFoundError
            if command.email is not None:
                await self._email_change(tx, updated)
            if command.password is not None:
                await _password_changed(tx, actor, updated, keep_session, origin or Origin())
            await tx.commit()
        self._posted()
        return updated

    async def _email_change(self, tx: Transaction, user: User) -> None:
        """The mails of a move the owner asked for; none when they asked for the address the
        account has."""
        if self._letters is not None and user.pending_email is not None:
            await self._letters.email_change(tx, user, user.pending_email)

    async def _check_current_password(
        self, user: User, password: str, guesses: PasswordGuesses | None
    ) -> None:
        if guesses is not None:
            await guesses.guess(user)
        if not await self._hasher.verify(password, user.password_hash):
            raise WrongCurrentPasswordError
        if guesses is not None:
            await guesses.guessed_right(user)

    async def _refuse_if_weak(self, password: str, account: NewUser | User) -> None:
        """The strength rule, with the account's own words as what a guesser tries first."""
        local_part = account.email.rpartition("@")[0]
        await self._strength.refuse_if_weak(
            password, user_inputs=(account.username, account.email, local_part)
        )

    async def delete_user(
        self, actor: User, user_id: int, *, expected: Precondition | None = None
    ) -> None:
        """Delete one's own account; the database deletes its posts with it.

        The idempotency records of its registration and of its posts' creates
        go in the same transaction: they hold copies of the email and the posts.
        With `expected`, only if the account is still in a state the client named.
        """
        authorize(actor, Action.DELETE_ACCOUNT, owner_id=user_id)
        async with self._uow.write() as tx:
            expected_version = None
            if expected is not None:
                current = await tx.users.get(user_id)
                if current is None:
                    raise UserNotFoundError
                expected_version = expected.pin(revision=current.revision, version=current.version)
            if not await tx.users.delete(user_id, expected_version=expected_version):
                raise UserNotFoundError
            await tx.commit()


def _wanted(user: User, command: UpdateUser, password_hash: str | None) -> User:
    """The account as the change asks for it; a new email only pending, until proven."""
    wanted = user.changed(username=command.username, password_hash=password_hash)
    return wanted if command.email is None else wanted.moving_to(command.email)


async def _password_changed(
    tx: Transaction, actor: User, user: User, keep_session: UUID | None, origin: Origin
) -> None:
    """What a new password ends: every other session, and any reset link still unused."""
    await tx.mail_tokens.spend_all(user.id, TokenPurpose.RESET_PASSWORD)
    ended = await tx.sessions.revoke_all(
        user.id, reason=RevocationReason.PASSWORD_CHANGED, keep=keep_session
    )
    await tx.audit.record(
        NewAuditEvent(
            kind=AuditKind.PASSWORD_CHANGED,
            actor_id=actor.id,
            target=user_target(user.id),
            detail=f"{ended} other sessions ended",
            origin=origin,
        )
    )


def _candidate(command: RegisterUser) -> NewUser:
    """The account to register, checked by the rules; its hash comes later."""
    validate_password(command.password)
    return NewUser.create(email=command.email, username=command.username, password_hash="")


async def _taken_by_another(
    repos: Repositories, user: User, command: UpdateUser
) -> ConflictError | None:
    """The error for an email or username that the change would take from another account."""
    changed = user.changed(email=command.email, username=command.username)
    if command.email is not None:
        owner = await repos.users.get_by_email(changed.email)
        if owner is not None and owner.id != user.id:
            return EmailAlreadyRegisteredError()
    if command.username is not None:
        owner = await repos.users.get_by_username(changed.username)
        if owner is not None and owner.id != user.id:
            return UsernameAlreadyTakenError()
    return None


async def _taken(repos: Repositories, candidate: NewUser) -> ConflictError | None:
    """The error for an email or username already registered, else None."""
    if await repos.users.get_by_email(candidate.email) is not None:
        return EmailAlreadyRegisteredError()
    if await repos.users.get_by_username(candidate.username) is not None:
        return UsernameAlreadyTakenError()
    return None


def role_changed(actor_id: int | None, user: User, origin: Origin) -> NewAuditEvent:
    """The audit event of `user` getting the role it has now."""
    return NewAuditEvent(
        kind=AuditKind.ROLE_CHANGED,
        actor_id=actor_id,
        target=user_target(user.id),
        detail=user.role.value,
        origin=origin,
    )
