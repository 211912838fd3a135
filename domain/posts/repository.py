"""The port through which use cases reach stored posts."""

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from domain.posts.entities import AuthoredPost, NewPost, Post, PostKey


class PostRepository(Protocol):
    """A collection of posts; implementations never commit.

    Listings come newest first (created_at, then id, both descending) and
    carry each post's author, read in a fixed number of statements whatever
    the page size. The posts of a deactivated account are hidden from every
    read and listing (`get_authored`, `list_authored`), as if they did not
    exist, until it is active again.
    """

    async def add(
        self, post: NewPost, *, session_id: UUID | None = None, verified_only: bool = False
    ) -> AuthoredPost:
        """Store a new post; return it, with its id and timestamps, and its author.

        One statement finds the author, locks their row against deletion
        until the transaction ends (as the foreign key would), inserts the
        post and names the author as it saw them: a caller who knows only
        the author's id needs no read of the account beforehand, and the
        name it gets back cannot belong to an account deleted meanwhile.
        Raises UserNotFoundError when the author does not exist, inserting
        nothing and leaving the transaction usable.

        With `session_id`, the same statement also requires that session to
        be a live one of the author's (raising UserNotFoundError when it is
        not): a signed-out caller cannot publish, at no extra statement.
        With `verified_only`, it also requires the author's address to be
        verified, raising UserNotFoundError alike when it is not.
        """
        ...

    async def get(self, post_id: int, *, for_update: bool = False) -> Post | None:
        """Return the post, or None.

        `for_update` locks the row until the transaction ends, as SELECT ...
        FOR UPDATE does: a read-modify-write that holds it cannot lose a
        change made meanwhile, as writers of the row wait for each other.
        """
        ...

    async def get_authored(self, post_id: int, *, for_update: bool = False) -> AuthoredPost | None:
        """Return the post with its author, or None; `for_update` locks the post's row only."""
        ...

    async def list_authored(
        self,
        *,
        limit: int,
        skip: int = 0,
        author_id: int | None = None,
        after: PostKey | None = None,
        before: PostKey | None = None,
    ) -> Sequence[AuthoredPost]:
        """Return a page of posts with their authors, newest first, of one author if given.

        `after` keeps the posts that come after that key in the listing
        (older ones) and returns the first `limit`; `before` keeps those that
        come before it (newer ones) and returns the last `limit`, still
        newest first. Either reads an index range, however deep the page.
        """
        ...

    async def update(self, post: Post, *, expected_version: int | None = None) -> Post | None:
        """Store the title and content of `post`; return it as stored.

        `updated_at` becomes the transaction's time, or one microsecond past the
        stored one when that is later: a change that waited for another on the
        row's lock is stamped after it. `version` grows by one. With
        `expected_version`, only if the stored version is still that one,
        checked by the write itself: raises VersionMismatchError otherwise.
        Returns None when no post has that id.
        """
        ...

    async def delete(self, post_id: int, *, expected_version: int | None = None) -> bool:
        """Delete the post; return whether it existed.

        With `expected_version`, only if the stored version is still that one:
        raises VersionMismatchError otherwise.
        """
        ...
