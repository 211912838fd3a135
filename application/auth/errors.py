"""Authentication failures. Their messages say nothing about which part was wrong."""

from domain.errors import AuthenticationError, DomainError


class InvalidCredentialsError(AuthenticationError):
    def __init__(self) -> None:
        super().__init__("Incorrect username or password")


class InvalidTokenError(AuthenticationError):
    """An access token that is not valid, or whose session ended: told apart to nobody."""

    def __init__(self) -> None:
        super().__init__("Could not validate credentials")


class InvalidRefreshTokenError(AuthenticationError):
    """A refresh token that is malformed, unknown, spent, or of a session that ended.

    One error for all of them, so the answer tells a guesser nothing, not even
    that a stolen token was caught being reused.
    """

    def __init__(self) -> None:
        super().__init__("The refresh token is not valid; log in again")


class UnsupportedGrantTypeError(DomainError):
    """An OAuth2 grant this API does not serve at that endpoint (RFC 6749 section 5.2)."""

    def __init__(self, served: str) -> None:
        super().__init__(f"Unsupported grant_type: this endpoint serves only {served}")
