"""Logging in with a password, and turning a bearer token back into a user."""

from application.auth.errors import InvalidCredentialsError, InvalidTokenError
from application.ports import AccessToken, PasswordHasher, TokenIssuer
from application.unit_of_work import UnitOfWork
from domain.errors import ValidationError
from domain.users import User
from domain.users.rules import normalize_email, validate_username


class AuthService:
    def __init__(
        self, uow: UnitOfWork, password_hasher: PasswordHasher, tokens: TokenIssuer
    ) -> None:
        self._uow = uow
        self._hasher = password_hasher
        self._tokens = tokens

    async def login(self, *, login: str, password: str) -> AccessToken:
        """Exchange a username or an email, and a password, for an access token.

        - An unknown account and a wrong password fail alike, in about the
          same time.
        - A hash made with outdated parameters is replaced on success.
        """
        user = await self._find(login)
        if user is None:
            await self._hasher.verify_dummy(password)
            raise InvalidCredentialsError
        valid, new_hash = await self._hasher.verify_and_update(password, user.password_hash)
        if not valid:
            raise InvalidCredentialsError
        if new_hash is not None:
            async with self._uow.write() as tx:
                await tx.users.replace_password_hash(user.id, old=user.password_hash, new=new_hash)
                await tx.commit()
        return self._tokens.issue(user.id)

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

    def caller_id(self, token: str) -> int:
        """Return the id of the user a token was issued to, without reading their account.

        The token is checked as `authenticate` checks it (signature, algorithm,
        expiry), but whether the account still exists is left to the caller,
        to check in its own statement: a use case whose write needs the
        account's row anyway spares the separate read. A caller that finds no
        account must refuse the token as `authenticate` would.
        """
        return self._tokens.user_id_of(token)

    async def authenticate(self, token: str) -> User:
        """Return the user a token belongs to; a token of a deleted user is not valid.

        Like logging in, it reads the primary, never a replica that may lag: a
        deleted account's token must stop working at once, and a token issued
        a moment ago must work on the very next request.
        """
        user_id = self.caller_id(token)
        async with self._uow.read() as repos:
            user = await repos.users.get(user_id)
        if user is None:
            raise InvalidTokenError
        return user
