"""The post entity, and the shape in which posts are read with their authors."""

from dataclasses import dataclass, replace
from datetime import datetime

from domain.posts.rules import validate_content, validate_title
from domain.revisions import digest_revision


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
    """What a reader of a post learns about its author: a part of their public view."""

    id: int
    username: str
    version: int
    """The author's own version: which state of the account was read. It moves with
    private changes too (email, password), so no ETag is made of it (see `revision`)."""

    @property
    def revision(self) -> str:
        """Names what a post shows of its author, and moves only when that does."""
        return digest_revision(self.id, self.username)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthoredPost:
    """A post read together with its author, as every post listing shows it."""

    post: Post
    author: Author

    @property
    def revision(self) -> str:
        """Names this state of the post as clients see it, author included.

        The author's username is part of what a reader gets, so the author's
        public revision is part of this one: a renamed author gives every one
        of their posts a new revision, and a cached copy with the old name is
        not taken for current. The author's version is not: it also moves when
        they change their email or password, which a reader of their posts
        must not be able to watch.
        """
        return f"{self.post.version}.{self.author.revision}"
