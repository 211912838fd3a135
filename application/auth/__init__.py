"""Logging in, refreshing, and recognising the caller of a request."""

from application.auth.commands import Client, TokenPair
from application.auth.errors import (
    InvalidCredentialsError,
    InvalidRefreshTokenError,
    InvalidTokenError,
    UnsupportedGrantTypeError,
)
from application.auth.service import AuthService

__all__ = [
    "AuthService",
    "Client",
    "InvalidCredentialsError",
    "InvalidRefreshTokenError",
    "InvalidTokenError",
    "TokenPair",
    "UnsupportedGrantTypeError",
]
