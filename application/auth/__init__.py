"""Logging in, and recognising the caller of a request."""

from application.auth.errors import InvalidCredentialsError, InvalidTokenError
from application.auth.service import AuthService

__all__ = ["AuthService", "InvalidCredentialsError", "InvalidTokenError"]
