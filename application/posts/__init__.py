"""Use cases about posts."""

from application.posts.commands import EditPost, PublishPost
from application.posts.service import PostService

__all__ = ["EditPost", "PostService", "PublishPost"]
