"""Turns the database's errors into the domain's words."""

from collections.abc import Callable
from typing import Final

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
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


def translate_integrity_error(error: IntegrityError) -> Exception:
    """Return the domain error for the violated constraint, or the error itself.

    An unknown constraint is a bug in the service, not bad input, so it is
    returned unchanged to surface as one.
    """
    diag = getattr(error.orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    domain_error = _CONSTRAINT_TO_ERROR.get(constraint or "")
    return domain_error() if domain_error is not None else error


def is_unavailability(error: BaseException) -> bool:
    """Whether an error means "the database is out of reach", not "this request is wrong"."""
    if isinstance(error, PoolTimeoutError | OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated
