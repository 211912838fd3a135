"""What can go wrong with a post, in the words a client will read."""

from domain.errors import NotFoundError, PermissionDeniedError, ValidationError


class PostNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("Post not found")


class NotPostAuthorError(PermissionDeniedError):
    def __init__(self) -> None:
        super().__init__("Not the author of this post")


class InvalidPostError(ValidationError):
    pass
