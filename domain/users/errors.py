"""What can go wrong with a user, in the words a client will read."""

from domain.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError


class UserNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("User not found")


class EmailAlreadyRegisteredError(ConflictError):
    def __init__(self) -> None:
        super().__init__("Email already registered")


class UsernameAlreadyTakenError(ConflictError):
    def __init__(self) -> None:
        super().__init__("Username already taken")


class InvalidEmailError(ValidationError):
    pass


class InvalidUsernameError(ValidationError):
    pass


class InvalidPasswordError(ValidationError):
    pass


class NotAccountOwnerError(PermissionDeniedError):
    def __init__(self) -> None:
        super().__init__("Only the account's owner may change it")
