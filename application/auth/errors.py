"""Authentication failures. Their messages say nothing about which part was wrong."""

from domain.errors import AuthenticationError


class InvalidCredentialsError(AuthenticationError):
    def __init__(self) -> None:
        super().__init__("Incorrect username or password")


class InvalidTokenError(AuthenticationError):
    def __init__(self) -> None:
        super().__init__("Could not validate credentials")
