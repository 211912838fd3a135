"""The root of every error the domain and the use cases raise.

Errors carry a human-readable message and nothing about transport: the HTTP
layer decides what status each one becomes, in a single table.
"""


class DomainError(Exception):
    """A rule of the domain was broken; the message is safe to show to a client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(DomainError):
    """The thing asked for does not exist."""


class ConflictError(DomainError):
    """The change would break a uniqueness rule."""


class ValidationError(DomainError):
    """A value does not satisfy a rule of the domain."""


class AuthenticationError(DomainError):
    """The caller could not be identified: bad credentials or a token that is not valid."""


class PermissionDeniedError(DomainError):
    """The caller is known but may not do this."""


class PreconditionFailedError(DomainError):
    """The client made the change conditional on a state the resource is no longer in."""


class VersionMismatchError(PreconditionFailedError):
    """The resource was changed by someone else since the client read the version it names.

    Raised instead of overwriting that change: the client reads the resource
    again, and decides what to do with the change it sees.
    """

    def __init__(self) -> None:
        super().__init__("The resource has changed since you read it")


class BusyError(DomainError):
    """The service has no capacity left for this kind of work right now: try again shortly.

    Not the caller's fault and not a failure: a bound that keeps one worker's
    memory and CPU within what it was given (password hashing, for one).
    """


class StorageError(DomainError):
    """The storage failed for a reason that is not the caller's fault."""


class StorageUnavailableError(StorageError):
    """The database cannot be reached, or no connection freed up in time: try again shortly."""

    def __init__(self, message: str = "The database is unavailable; try again shortly") -> None:
        super().__init__(message)


class StorageTimeoutError(StorageUnavailableError):
    """A statement ran past the database's time limit: it is too slow right now, try again."""

    def __init__(self) -> None:
        super().__init__("The database did not answer in time; try again shortly")
