"""Abuse limits on the routes that take a password: logging in, signing up, changing credentials.

Limiting is an HTTP concern here, not a use case's: what is counted is the
caller's network address, which only this layer can tell (through the
trusted proxies); the answer is HTTP's own 429 with `Retry-After`; and the
same use cases reached from the command line (`create-user`) are not to be
limited. The counting itself is the `RateLimiter` port's (`infrastructure.ratelimit`).
"""

import hashlib
from collections.abc import AsyncIterator
from contextlib import suppress
from typing import Annotated

from fastapi import Depends, Request

from application.ratelimit import Limit, RateLimiter
from domain.users import InvalidEmailError, User
from domain.users.rules import normalize_email
from interfaces.http.auth.form import LoginForm, LoginFormBody
from interfaces.http.client_address import client_key
from interfaces.http.dependencies import container_of


def _limits_and_client(request: Request) -> tuple[RateLimiter, str]:
    container = container_of(request)
    limits: RateLimiter = container.rate_limits()
    return limits, client_key(request, container.settings().trusted_proxies)


def account_key(login: str) -> str:
    """The account a login names, as the lookups compare it, hashed.

    An email is normalised as registering and logging in normalise it
    (`normalize_email`), so that its equivalent spellings (NFD, punycode,
    any case) share one count of failures instead of giving a guesser a
    count each; a username, and a login that is no valid address, is
    trimmed and compared in any case. Hashed so that a key has a fixed,
    small size whatever was typed (the form has no length limit), and so
    that the store never holds the names.
    """
    name = login.strip().lower()
    if "@" in login:
        with suppress(InvalidEmailError):
            name = normalize_email(login)
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:32]


async def limit_registrations(request: Request) -> None:
    """Count a registration against the caller's address; 429 past the limit."""
    limits, client = _limits_and_client(request)
    await limits.hit(Limit.REGISTRATIONS, client)


async def _counted_login(request: Request, form: LoginFormBody) -> AsyncIterator[LoginForm]:
    """The login form, once the login is counted against the address, and against the
    account from that address.

    The account's count goes up before the password is checked and is
    dropped when the login succeeds, so it counts failures, and parallel
    guesses cannot all get in before the first is counted. Once it is past
    the limit, even the right password is refused until the window ends:
    otherwise a guesser would learn which guess was right from the answer.
    Counting per account *and address* keeps a guesser elsewhere from
    locking the owner out.
    """
    limits, client = _limits_and_client(request)
    await limits.hit(Limit.LOGIN_ATTEMPTS, client)
    account = account_key(form.username)
    await limits.hit(Limit.LOGIN_FAILURES, account, client)
    yield form
    await limits.forget(Limit.LOGIN_FAILURES, account, client)


# "function": the count is dropped as soon as the endpoint returns, before the
# response goes out, so a client that logs in again at once finds it gone.
# The endpoint reads the form from here, so that it is declared (and validated) once.
CountedLogin = Annotated[LoginForm, Depends(_counted_login, scope="function")]


class CredentialChanges:
    """The limits on changing an account's password or email, for one request.

    Every change is counted against the account (whoever holds its token,
    from wherever), and each check of the current password is a guess at it,
    counted as a failed login from the caller's address is: the PATCH must
    not be a password oracle that the login's limit does not see. A login
    counts under the name that was typed, so a guess here counts under both
    the account's username and its email, which are the two a login can
    name, and is dropped from both when it is right, as a login drops it.
    """

    def __init__(self, limits: RateLimiter, client: str) -> None:
        self._limits = limits
        self._client = client

    async def change(self, account: User) -> None:
        """Count one change of `account`'s credentials; 429 past the limit."""
        await self._limits.hit(Limit.CREDENTIAL_CHANGES, str(account.id))

    async def guess(self, user: User) -> None:
        for account in _login_names(user):
            await self._limits.hit(Limit.LOGIN_FAILURES, account, self._client)

    async def guessed_right(self, user: User) -> None:
        for account in _login_names(user):
            await self._limits.forget(Limit.LOGIN_FAILURES, account, self._client)


def _login_names(user: User) -> tuple[str, str]:
    return account_key(user.username), account_key(user.email)


async def limit_verification_mails(request: Request, account: User) -> None:
    """Count a verification mail asked for by `account`; 429 past the limit."""
    limits, _ = _limits_and_client(request)
    await limits.hit(Limit.VERIFICATION_MAILS, str(account.id))


async def limit_reset_requests(request: Request, email: str) -> None:
    """Count a password-reset request against the caller's address, then against the email.

    The email's count bounds the mail one inbox can be sent, from however many
    addresses; it is counted whether or not an account has the email (a
    refusal that came only for accounts would tell which exist), under the
    email's hash as a login's account is.
    """
    limits, client = _limits_and_client(request)
    await limits.hit(Limit.RESET_REQUESTS, client)
    await limits.hit(Limit.RESET_MAILS, account_key(email))


def credential_changes(request: Request) -> CredentialChanges:
    return CredentialChanges(*_limits_and_client(request))


CredentialChangesDep = Annotated[CredentialChanges, Depends(credential_changes)]
