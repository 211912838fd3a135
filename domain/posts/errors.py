"""What can go wrong with a post, in the words a client will read."""

from domain.errors import NotFoundError, PermissionDeniedError, ValidationError


class PostNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("Post not found")


class NotPostAuthorError(PermissionDeniedError):
    def __init__(self) -> None:
        super().__init__("Not the author of this post")


class ModerationReasonRequiredError(ValidationError):
    """An admin removing someone else's post says why: the audit trail keeps it."""

    def __init__(self) -> None:
        super().__init__("An admin removing another member's post must give a reason")


class InvalidPostError(ValidationError):
    pass
