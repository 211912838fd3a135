"""The post entity, and the shape in which posts are read with their authors."""

from dataclasses import dataclass, replace
from datetime import datetime

from domain.posts.rules import validate_content, validate_title


@dataclass(frozen=True, slots=True, kw_only=True)
class NewPost:
    """A post about to be stored, with no id yet."""

    title: str
    content: str
    author_id: int

    @classmethod
    def create(cls, *, title: str, content: str, author_id: int) -> "NewPost":
        return cls(
            title=validate_title(title), content=validate_content(content), author_id=author_id
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Post:
    id: int
    title: str
    content: str
    author_id: int
    created_at: datetime
    updated_at: datetime
    version: int
    """Starts at 1 and grows by one with every change of the post itself."""

    def changed(self, *, title: str | None = None, content: str | None = None) -> "Post":
        """Return the post with the given fields changed, each checked by the rules."""
        return replace(
            self,
            title=self.title if title is None else validate_title(title),
            content=self.content if content is None else validate_content(content),
        )


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class PostKey:
    """Where a post sits in a listing: newest first, by creation time, then by id."""

    created_at: datetime
    id: int

    @classmethod
    def of(cls, post: Post) -> "PostKey":
        return cls(created_at=post.created_at, id=post.id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Author:
    """What a reader of a post learns about its author."""

    id: int
    username: str
    version: int
    """The author's own version, which moves when their username does."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthoredPost:
    """A post read together with its author, as every post listing shows it."""

    post: Post
    author: Author

    @property
    def revision(self) -> str:
        """Names this state of the post as clients see it, author included.

        The author's username is part of what a reader gets, so the author's
        version is part of the revision: a renamed author gives every one of
        their posts a new revision, and a cached copy with the old name is not
        taken for current. (The author's version also moves on changes that no
        post shows, such as their email; those cost a needless re-read, never
        a stale one.)
        """
        return f"{self.post.version}.{self.author.version}"
