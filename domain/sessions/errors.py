"""What can go wrong with a session, in the words a client will read."""

from domain.errors import NotFoundError


class SessionNotFoundError(NotFoundError):
    """No live session of the caller's has that id: someone else's is not told apart."""

    def __init__(self) -> None:
        super().__init__("Session not found")
