"""Turns the database's errors into the domain's words."""

from collections.abc import Callable
from typing import Final

import psycopg
from psycopg_pool import PoolClosed, PoolTimeout

from domain.errors import DomainError, StorageTimeoutError, StorageUnavailableError
from domain.users import EmailAlreadyRegisteredError, UsernameAlreadyTakenError, UserNotFoundError
from infrastructure.persistence.tables import (
    POSTS_AUTHOR_FOREIGN_KEY,
    USERS_EMAIL_UNIQUE,
    USERS_USERNAME_UNIQUE,
)

_CONSTRAINT_TO_ERROR: Final[dict[str, Callable[[], DomainError]]] = {
    USERS_EMAIL_UNIQUE: EmailAlreadyRegisteredError,
    USERS_USERNAME_UNIQUE: UsernameAlreadyTakenError,
    POSTS_AUTHOR_FOREIGN_KEY: UserNotFoundError,
}


def translate_integrity_error(error: psycopg.IntegrityError) -> Exception:
    """Return the domain error for the violated constraint, or the error itself.

    An unknown constraint is a bug in the service, not bad input, so it is
    returned unchanged to surface as one.
    """
    domain_error = _CONSTRAINT_TO_ERROR.get(error.diag.constraint_name or "")
    return domain_error() if domain_error is not None else error


def is_unavailability(error: BaseException) -> bool:
    """Whether an error means "the database is out of reach", not "this request is wrong".

    psycopg_pool's own errors (no connection within the timeout, a pool not
    open yet or closed already) are OperationalErrors too.
    """
    return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)


def is_statement_timeout(error: BaseException) -> bool:
    """Whether `statement_timeout` (or a cancel) stopped the statement: the connection is fine."""
    return isinstance(error, psycopg.errors.QueryCanceled)


def is_outage(error: BaseException) -> bool:
    """Whether an unavailability says the server is gone, not that this process is busy.

    A pool that lent no connection within its timeout may only be short of
    connections under load (when it cannot connect, the attempt itself says
    so, see `Database`); a pool closed or not open yet is this process's
    state; a cancelled statement ran on a healthy connection.
    """
    return is_unavailability(error) and not isinstance(
        error, PoolTimeout | PoolClosed | psycopg.errors.QueryCanceled
    )


def unavailability(error: BaseException) -> StorageUnavailableError:
    """The retryable error to raise for `error`: a statement past its timeout says so."""
    return StorageTimeoutError() if is_statement_timeout(error) else StorageUnavailableError()
