"""Turns the database's errors into the domain's words."""

from collections.abc import Callable
from typing import Final

import psycopg
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from domain.errors import DomainError
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

    The repositories run on psycopg's connection and raise its errors; the
    pool and the statements that go through SQLAlchemy raise SQLAlchemy's.
    """
    if isinstance(error, PoolTimeoutError | OperationalError | InterfaceError):
        return True
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def is_statement_timeout(error: BaseException) -> bool:
    """Whether `statement_timeout` (or a cancel) stopped the statement: the connection is fine."""
    if isinstance(error, DBAPIError):
        error = error.orig or error
    return isinstance(error, psycopg.errors.QueryCanceled)
