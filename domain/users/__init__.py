"""Users: who can register, and what makes an account unique."""

from domain.users.entities import NewUser, Role, User, UserFilter
from domain.users.errors import (
    AccountDeactivatedError,
    AdminOnlyError,
    CredentialsChangedMeanwhileError,
    CurrentPasswordRequiredError,
    EmailAlreadyRegisteredError,
    EmailNotVerifiedError,
    InvalidEmailError,
    InvalidPasswordError,
    InvalidUsernameError,
    LastAdminError,
    NotAccountOwnerError,
    UsernameAlreadyTakenError,
    UserNotFoundError,
    WeakPasswordError,
    WrongCurrentPasswordError,
)
from domain.users.repository import UserRepository

__all__ = [
    "AccountDeactivatedError",
    "AdminOnlyError",
    "CredentialsChangedMeanwhileError",
    "CurrentPasswordRequiredError",
    "EmailAlreadyRegisteredError",
    "EmailNotVerifiedError",
    "InvalidEmailError",
    "InvalidPasswordError",
    "InvalidUsernameError",
    "LastAdminError",
    "NewUser",
    "NotAccountOwnerError",
    "Role",
    "User",
    "UserFilter",
    "UserNotFoundError",
    "UserRepository",
    "UsernameAlreadyTakenError",
    "WeakPasswordError",
    "WrongCurrentPasswordError",
]
