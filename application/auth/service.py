"""Logging in with a password, refreshing a session, and turning a bearer token into a caller."""

import logging
from datetime import timedelta
from typing import Final
from uuid import uuid4

from application.auth.commands import Client, TokenPair
from application.auth.errors import (
    InvalidCredentialsError,
    InvalidRefreshTokenError,
    InvalidTokenError,
)
from application.ports import PasswordHasher, SecretTokens, TokenIssuer
from application.unit_of_work import UnitOfWork
from domain.audit import AuditKind, NewAuditEvent, Origin, session_target, user_target
from domain.errors import ValidationError
from domain.sessions import (
    CLIENT_NETWORK_MAX_LENGTH,
    Caller,
    NewSession,
    RevocationReason,
    Session,
    trim_user_agent,
)
from domain.users import AccountDeactivatedError, User
from domain.users.rules import normalize_email, validate_username

DEFAULT_SESSION_LIFETIME: Final = timedelta(days=30)

_log: Final = logging.getLogger(__name__)


class AuthService:
    """Sign-in: a session per login, kept alive by rotating refresh tokens, checked per request."""

    def __init__(
        self,
        uow: UnitOfWork,
        password_hasher: PasswordHasher,
        tokens: TokenIssuer,
        secrets: SecretTokens,
        *,
        session_lifetime: timedelta = DEFAULT_SESSION_LIFETIME,
    ) -> None:
        self._uow = uow
        self._hasher = password_hasher
        self._tokens = tokens
        self._secrets = secrets
        self._session_lifetime = session_lifetime

    async def login(self, *, login: str, password: str, client: Client | None = None) -> TokenPair:
        """Exchange a username or an email, and a password, for a new session's tokens.

        - An unknown account and a wrong password fail alike, in about the
          same time.
        - A hash made with outdated parameters is replaced on success, in the
          transaction that starts the session.
        - The session lasts `session_lifetime` from now, however often it is
          refreshed: a stolen session dies with its time, not only with its owner's notice.
        - A deactivated account is refused (AccountDeactivatedError) after the
          password check, so that the refusal tells a guesser nothing.
        """
        client = client or Client()
        user = await self._find(login)
        if user is None:
            await self._hasher.verify_dummy(password)
            await self._failed(client, target="", detail="no such account")
            raise InvalidCredentialsError
        valid, new_hash = await self._hasher.verify_and_update(password, user.password_hash)
        if not valid:
            await self._failed(client, target=user_target(user.id), detail="wrong password")
            raise InvalidCredentialsError
        if not user.active:  # said only to whoever knows the password
            await self._failed(client, target=user_target(user.id), detail="deactivated")
            raise AccountDeactivatedError
        draft = NewSession(
            id=uuid4(),
            user_id=user.id,
            lifetime=self._session_lifetime,
            user_agent=trim_user_agent(client.user_agent),
            client_network=client.network[:CLIENT_NETWORK_MAX_LENGTH],
        )
        secret = self._secrets.new()
        async with self._uow.write() as tx:
            if new_hash is not None:
                await tx.users.replace_password_hash(user.id, old=user.password_hash, new=new_hash)
            session = await tx.sessions.start(draft, refresh_token=secret.digest)
            if session is None:  # the account was deleted since it was read
                raise InvalidCredentialsError
            await tx.audit.record(
                NewAuditEvent(
                    kind=AuditKind.LOGIN_SUCCEEDED,
                    actor_id=user.id,
                    target=user_target(user.id),
                    detail=f"session {session.id}",
                    origin=client.origin,
                )
            )
            await tx.commit()
        return self._pair(session, secret.token)

    async def _failed(self, client: Client, *, target: str, detail: str) -> None:
        """Record a failed login; whoever tried is nobody the service knows."""
        event = NewAuditEvent(
            kind=AuditKind.LOGIN_FAILED,
            actor_id=None,
            target=target,
            detail=detail,
            origin=client.origin,
        )
        async with self._uow.write() as tx:
            await tx.audit.record(event)
            await tx.commit()

    async def refresh(self, refresh_token: str, *, origin: Origin | None = None) -> TokenPair:
        """Rotate: spend the refresh token for a new pair in the same session.

        A refresh token that comes back once spent means two parties hold the
        session's tokens, and nothing tells the owner from a thief: the whole
        session is revoked (RFC 9700, section 4.14.2), and both must log in
        again. Two refreshes with one token at once are such a pair: one
        rotates, the other revokes. Any other failure changes nothing.
        """
        spent = self._secrets.digest(refresh_token)
        if spent is None:
            raise InvalidRefreshTokenError
        secret = self._secrets.new()
        async with self._uow.write() as tx:
            session = await tx.sessions.rotate(spent, issued=secret.digest)
            if session is None:
                reused_in = await tx.sessions.spent_in(spent)
                if reused_in is not None:
                    reason = RevocationReason.REFRESH_TOKEN_REUSED
                    await tx.sessions.revoke(reused_in, reason=reason)
                    await tx.audit.record(
                        NewAuditEvent(
                            kind=AuditKind.SESSIONS_REVOKED,
                            actor_id=None,
                            target=session_target(reused_in),
                            detail=reason.value,
                            origin=origin or Origin(),
                        )
                    )
                    await tx.commit()
                    _log.warning("refresh token reused: session %s revoked", reused_in)
                raise InvalidRefreshTokenError
            await tx.commit()
        return self._pair(session, secret.token)

    def _pair(self, session: Session, refresh_token: str) -> TokenPair:
        remaining = session.expires_at - session.last_used_at
        return TokenPair(
            access=self._tokens.issue(user_id=session.user_id, session_id=session.id),
            refresh_token=refresh_token,
            refresh_expires_in=max(0, int(remaining.total_seconds())),
        )

    async def _find(self, login: str) -> User | None:
        """The account a login names; one that no account could have is not looked up.

        An email goes through `normalize_email`, the very function registration
        stored it with, so every spelling that registered as this address finds it.
        """
        by_email = "@" in login
        try:
            key = normalize_email(login) if by_email else validate_username(login)
        except ValidationError:
            return None
        async with self._uow.read() as repos:
            if by_email:
                return await repos.users.get_by_email(key)
            return await repos.users.get_by_username(key)

    def caller(self, token: str) -> Caller:
        """The account and session an access token names, neither of them read.

        The token is checked as `authenticate` checks it (signature, type,
        algorithm, expiry), but whether its session is still live is left to
        the caller, to check in its own statement: a use case whose write
        needs the account's row anyway (`PostService.publish_post`) checks the
        session in that statement, sparing a read. A use case that finds the
        session ended must refuse the token as `authenticate` would.
        """
        return self._tokens.caller_of(token)

    async def signed_in(self, caller: Caller) -> User:
        """The caller's account, if the session their token names is still live.

        It reads the primary, never a replica that may lag: a session revoked
        a moment ago must stop working at once, and one started a moment ago
        must work on the very next request.
        """
        if caller.session_id is None:
            raise InvalidTokenError
        async with self._uow.read() as repos:
            user = await repos.users.get_signed_in(caller.user_id, caller.session_id)
        if user is None:
            raise InvalidTokenError
        return user

    async def authenticate(self, token: str) -> User:
        """The account a bearer token belongs to; a token of an ended session is not valid."""
        return await self.signed_in(self.caller(token))
