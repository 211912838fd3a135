"""Users: who can register, and what makes an account unique."""

from domain.users.entities import NewUser, Role, User
from domain.users.errors import (
    CredentialsChangedMeanwhileError,
    CurrentPasswordRequiredError,
    EmailAlreadyRegisteredError,
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
    "CredentialsChangedMeanwhileError",
    "CurrentPasswordRequiredError",
    "EmailAlreadyRegisteredError",
    "InvalidEmailError",
    "InvalidPasswordError",
    "InvalidUsernameError",
    "LastAdminError",
    "NewUser",
    "NotAccountOwnerError",
    "Role",
    "User",
    "UserNotFoundError",
    "UserRepository",
    "UsernameAlreadyTakenError",
    "WeakPasswordError",
    "WrongCurrentPasswordError",
]
