"""Posts kept in a dict, with PostgreSQL's rules."""

from collections.abc import Sequence
from dataclasses import replace
from uuid import UUID

from domain.posts import Author, AuthoredPost, NewPost, Post, PostKey
from domain.users import UserNotFoundError
from infrastructure.memory.transaction import OpenTransaction
from infrastructure.memory.versions import check_version


class InMemoryPostRepository:
    """One transaction's view of the posts."""

    def __init__(self, transaction: OpenTransaction) -> None:
        self._tx = transaction
        self._users = transaction.users
        self._posts = transaction.posts

    async def add(
        self, post: NewPost, *, session_id: UUID | None = None, verified_only: bool = False
    ) -> AuthoredPost:
        post_id = next(self._tx.store.post_ids)
        # The foreign key: like PostgreSQL's KEY SHARE lock on the author, this
        # waits for a transaction deleting the author, and holds off later ones.
        await self._tx.lock([("users.key", post.author_id)], mode="share")
        author = self._users.get(post.author_id)
        if author is None or not author.active or (verified_only and not author.email_verified):
            raise UserNotFoundError  # the foreign key, or an author who may not publish
        if session_id is not None:
            session = self._tx.sessions.get(session_id)
            live = session is not None and session.is_live(self._tx.now)
            if not live or session is None or session.user_id != post.author_id:
                raise UserNotFoundError
        stored = Post(
            id=post_id,
            title=post.title,
            content=post.content,
            author_id=post.author_id,
            created_at=self._tx.now,
            updated_at=self._tx.now,
            version=1,
        )
        self._posts.put(post_id, stored)
        return self._authored(stored)

    async def get(self, post_id: int, *, for_update: bool = False) -> Post | None:
        if for_update:
            await self._tx.lock([("posts", post_id)])
        return self._posts.get(post_id)

    async def get_authored(self, post_id: int, *, for_update: bool = False) -> AuthoredPost | None:
        post = await self.get(post_id, for_update=for_update)
        return None if post is None or not self._shown(post) else self._authored(post)

    async def list_authored(
        self,
        *,
        limit: int,
        skip: int = 0,
        author_id: int | None = None,
        after: PostKey | None = None,
        before: PostKey | None = None,
    ) -> Sequence[AuthoredPost]:
        newest_first = sorted(
            (
                p
                for p in self._posts.rows()
                if (author_id is None or p.author_id == author_id) and self._shown(p)
            ),
            key=PostKey.of,
            reverse=True,
        )
        if before is not None:
            newer = [p for p in reversed(newest_first) if PostKey.of(p) > before]
            page = newer[skip : skip + limit][::-1]
        else:
            if after is not None:
                newest_first = [p for p in newest_first if PostKey.of(p) < after]
            page = newest_first[skip : skip + limit]
        return [self._authored(post) for post in page]

    async def update(self, post: Post, *, expected_version: int | None = None) -> Post | None:
        await self._tx.lock([("posts", post.id)])
        current = self._posts.get(post.id)
        if current is None:
            return None
        check_version(current.version, expected_version)
        stored = replace(
            current,
            title=post.title,
            content=post.content,
            updated_at=self._tx.stamp_after(current.updated_at),
            version=current.version + 1,
        )
        self._posts.put(post.id, stored)
        return stored

    async def delete(self, post_id: int, *, expected_version: int | None = None) -> bool:
        await self._tx.lock([("posts", post_id)])
        current = self._posts.get(post_id)
        if current is None:
            return False
        check_version(current.version, expected_version)
        self._tx.delete("posts", post_id)
        return True

    def _shown(self, post: Post) -> bool:
        """Whether reads show the post: not when its author is deactivated."""
        author = self._users.get(post.author_id)
        return author is not None and author.active

    def _authored(self, post: Post) -> AuthoredPost:
        author = self._users.get(post.author_id)
        if author is None:
            raise RuntimeError(f"post {post.id} has no author: the store is inconsistent")
        return AuthoredPost(
            post=post, author=Author(id=author.id, username=author.username, version=author.version)
        )
