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


class WeakPasswordError(InvalidPasswordError):
    """The password is too easy to guess: common, a pattern, or the account's own name."""


class CurrentPasswordRequiredError(ValidationError):
    def __init__(self) -> None:
        super().__init__("current_password is required to change the password or the email")


class NotAccountOwnerError(PermissionDeniedError):
    def __init__(self) -> None:
        super().__init__("Only the account's owner may change it")


class WrongCurrentPasswordError(PermissionDeniedError):
    """A token alone must not turn into a permanent takeover by changing the credentials."""

    def __init__(self) -> None:
        super().__init__("The current password is not correct")


class CredentialsChangedMeanwhileError(ConflictError):
    """The password was changed by another request while this change was checked."""

    def __init__(self) -> None:
        super().__init__("The account's password changed while this change was made; try again")


class LastAdminError(ConflictError):
    """Demoting or deactivating the only active admin would leave nobody to administer."""

    def __init__(self) -> None:
        super().__init__(
            "This is the last active admin: grant another account the admin role "
            "before demoting or deactivating it"
        )


class AccountDeactivatedError(PermissionDeniedError):
    """Told only to whoever gave the right password: a guesser learns nothing from it."""

    def __init__(self) -> None:
        super().__init__("This account is deactivated")


class AdminOnlyError(PermissionDeniedError):
    def __init__(self) -> None:
        super().__init__("Only admins may do this")


class EmailNotVerifiedError(PermissionDeniedError):
    """With REQUIRE_VERIFIED_EMAIL: publishing waits until a mailed link proved the address."""

    def __init__(self) -> None:
        super().__init__(
            "Verify your email address before publishing: use the link mailed to it, or ask "
            "for a new one with POST /users/me/verification-mail"
        )
