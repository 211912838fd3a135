"""Publishing, reading, editing and deleting posts."""

from datetime import timedelta

from application.idempotency import DEFAULT_KEY_LIFETIME, IdempotencyGuard, Once, Outcome
from application.pagination import Page, PageRequest, trim
from application.posts.commands import EditPost, PublishPost
from domain.posts import (
    Author,
    AuthoredPost,
    NewPost,
    NotPostAuthorError,
    PostKey,
    PostNotFoundError,
)
from domain.unit_of_work import UnitOfWork
from domain.users import User, UserNotFoundError


class PostService:
    """The post use cases. The acting user comes authenticated from the caller."""

    def __init__(
        self, uow: UnitOfWork, *, idempotency_key_lifetime: timedelta = DEFAULT_KEY_LIFETIME
    ) -> None:
        self._uow = uow
        self._keys = IdempotencyGuard(idempotency_key_lifetime)

    async def publish_post(self, author: User, command: PublishPost) -> AuthoredPost:
        """Publish a post as `author`; the author is never taken from the input."""
        draft = NewPost.create(title=command.title, content=command.content, author_id=author.id)
        async with self._uow as uow:
            post = await uow.posts.add(draft)
            await uow.commit()
        return AuthoredPost(post=post, author=Author(id=author.id, username=author.username))

    async def publish_post_once(
        self, author: User, command: PublishPost, once: Once[AuthoredPost]
    ) -> Outcome:
        """`publish_post` at most once per idempotency key (see `application.idempotency`).

        A key's scope is its author: another user's identical key is another
        request. One transaction claims the key, checks it, inserts the post
        and stores the answer; nothing costly comes before it to spare.
        """
        draft = NewPost.create(title=command.title, content=command.content, author_id=author.id)
        scope = f"user:{author.id}"
        async with self._uow as uow:
            if (replay := await self._keys.replay(uow, scope, once)) is not None:
                return replay
            post = await uow.posts.add(draft)
            authored = AuthoredPost(
                post=post, author=Author(id=author.id, username=author.username)
            )
            return await self._keys.record(uow, scope, once, authored)

    async def get_post(self, post_id: int) -> AuthoredPost:
        async with self._uow.reading() as uow:
            authored = await uow.posts.get_authored(post_id)
        if authored is None:
            raise PostNotFoundError
        return authored

    async def list_posts(
        self, page: PageRequest[PostKey] | None = None, *, author_id: int | None = None
    ) -> Page[AuthoredPost]:
        """Return a page of posts with their authors, newest first (the first 100 by default)."""
        return await self._page(page or PageRequest(), author_id=author_id, must_exist=False)

    async def list_user_posts(
        self, user_id: int, page: PageRequest[PostKey] | None = None
    ) -> Page[AuthoredPost]:
        """Like `list_posts` for one author, whose absence is an error rather than an empty page."""
        return await self._page(page or PageRequest(), author_id=user_id, must_exist=True)

    async def _page(
        self, page: PageRequest[PostKey], *, author_id: int | None, must_exist: bool
    ) -> Page[AuthoredPost]:
        page.check()
        async with self._uow.reading() as uow:
            if must_exist and author_id is not None and await uow.users.get(author_id) is None:
                raise UserNotFoundError
            rows = await uow.posts.list_authored(
                limit=page.limit + 1,
                skip=page.skip,
                author_id=author_id,
                after=page.after,
                before=page.before,
            )
        return trim(rows, page)

    async def edit_post(self, actor: User, post_id: int, command: EditPost) -> AuthoredPost:
        """Change a post's title or content: its author only; a missing post is 404 first."""
        async with self._uow as uow:
            post = await uow.posts.get(post_id)
            if post is None:
                raise PostNotFoundError
            if post.author_id != actor.id:
                raise NotPostAuthorError
            if command != EditPost():
                updated = await uow.posts.update(
                    post.changed(title=command.title, content=command.content)
                )
                if updated is None:
                    raise PostNotFoundError
                post = updated
                await uow.commit()
        return AuthoredPost(post=post, author=Author(id=actor.id, username=actor.username))

    async def delete_post(self, actor: User, post_id: int) -> None:
        """Delete a post: its author only; a missing post is 404 first."""
        async with self._uow as uow:
            post = await uow.posts.get(post_id)
            if post is None:
                raise PostNotFoundError
            if post.author_id != actor.id:
                raise NotPostAuthorError
            await uow.posts.delete(post_id)
            await uow.commit()
