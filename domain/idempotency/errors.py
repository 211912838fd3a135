"""What can go wrong with an idempotency key, in the words a client will read."""

from domain.errors import ConflictError, ValidationError


class IdempotencyKeyInUseError(ConflictError):
    """Another request holds the key right now; once it ends, a retry gets its answer."""

    def __init__(self) -> None:
        super().__init__(
            "A request with this idempotency key is still in progress; retry after it has finished"
        )


class IdempotencyKeyReusedError(ValidationError):
    """The key was used before for a request with another method, path or body."""

    def __init__(self) -> None:
        super().__init__("This idempotency key was already used for a different request")
