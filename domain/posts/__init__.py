"""Posts: what a user publishes, and who may change it."""

from domain.posts.entities import Author, AuthoredPost, NewPost, Post, PostKey
from domain.posts.errors import (
    InvalidPostError,
    ModerationReasonRequiredError,
    NotPostAuthorError,
    PostNotFoundError,
)
from domain.posts.repository import PostRepository

__all__ = [
    "Author",
    "AuthoredPost",
    "InvalidPostError",
    "ModerationReasonRequiredError",
    "NewPost",
    "NotPostAuthorError",
    "Post",
    "PostKey",
    "PostNotFoundError",
    "PostRepository",
]
