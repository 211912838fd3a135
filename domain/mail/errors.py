"""What can go wrong with a mailed link, in the words a client will read."""

from domain.errors import DomainError


class InvalidMailTokenError(DomainError):
    """One answer for a token that is unknown, spent, expired or superseded: which of them it
    was is nothing its bearer needs, and would tell a guesser which tokens once existed."""

    def __init__(self) -> None:
        super().__init__(
            "This link is not valid: it was used already, it expired, or a newer one replaced "
            "it. Ask for a new mail."
        )
