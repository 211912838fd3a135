"""Publishing, reading, editing and deleting posts."""

from datetime import timedelta

from application.idempotency import DEFAULT_KEY_LIFETIME, IdempotencyGuard, Once, Outcome
from application.pagination import Page, PageRequest, trim
from application.posts.commands import EditPost, PublishPost
from application.preconditions import Precondition, pin
from application.unit_of_work import Repositories, Transaction, UnitOfWork
from domain.audit import AuditKind, NewAuditEvent, Origin, post_target, user_target
from domain.authorization import Action, authorize
from domain.idempotency import (
    CreatedResource,
    IdempotencyKeyInUseError,
    IdempotencyKeyReusedError,
)
from domain.posts import (
    AuthoredPost,
    ModerationReasonRequiredError,
    NewPost,
    PostKey,
    PostNotFoundError,
)
from domain.sessions import Caller
from domain.users import EmailNotVerifiedError, User, UserNotFoundError


class PostService:
    """The post use cases. The acting user comes authenticated from the caller."""

    def __init__(
        self,
        uow: UnitOfWork,
        *,
        require_verified_email: bool = False,
        idempotency_key_lifetime: timedelta = DEFAULT_KEY_LIFETIME,
    ) -> None:
        """`require_verified_email`: only accounts whose address a mailed link proved publish."""
        self._uow = uow
        self._verified_only = require_verified_email
        self._keys = IdempotencyGuard(idempotency_key_lifetime)

    async def publish_post(self, author: Caller, command: PublishPost) -> AuthoredPost:
        """Publish a post as `author`; the author is never taken from the input.

        The caller comes from a checked token, its account and session unread:
        the INSERT itself checks that the account still exists and the session
        is live, and names the author, so a create is one unit of work.
        Raises UserNotFoundError when the account is gone or the session ended,
        and, when only verified addresses may publish, EmailNotVerifiedError:
        the same INSERT checks that too, so only a refusal costs a second read.
        """
        draft = NewPost.create(
            title=command.title, content=command.content, author_id=author.user_id
        )
        async with self._uow.write() as tx:
            authored = await self._add(tx, draft, author)
            await tx.commit()
        return authored

    async def _add(self, tx: Transaction, draft: NewPost, author: Caller) -> AuthoredPost:
        try:
            return await tx.posts.add(
                draft, session_id=author.session_id, verified_only=self._verified_only
            )
        except UserNotFoundError:
            if self._verified_only:
                await _require_caller(tx, author)  # the caller is fine: it is the address
                raise EmailNotVerifiedError from None
            raise

    async def publish_post_once(
        self, author: Caller, command: PublishPost, once: Once[AuthoredPost]
    ) -> Outcome:
        """`publish_post` at most once per idempotency key (see `application.idempotency`).

        A key's scope is its author: another user's identical key is another
        request. One transaction claims the key, checks it, inserts the post
        and stores the answer; nothing costly comes before it to spare. A
        replayed or refused key gives an answer without the INSERT, so it
        checks the account and the session itself: a deleted account's or a
        signed-out session's retry fails as its first try would, instead of
        getting the answer kept from before.
        """
        draft = NewPost.create(
            title=command.title, content=command.content, author_id=author.user_id
        )
        scope = f"user:{author.user_id}"
        async with self._uow.write() as tx:
            try:
                replay = await self._keys.replay(tx, scope, once)
            except (IdempotencyKeyInUseError, IdempotencyKeyReusedError):
                await _require_caller(tx, author)
                raise
            if replay is not None:
                await _require_caller(tx, author)
                return replay
            authored = await self._add(tx, draft, author)
            created = CreatedResource("post", authored.post.id)
            outcome = await self._keys.record(tx, scope, once, authored, resource=created)
            await tx.commit()
        return outcome

    async def get_post(self, post_id: int) -> AuthoredPost:
        async with self._uow.read(may_lag=True) as repos:
            authored = await repos.posts.get_authored(post_id)
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
        async with self._uow.read(may_lag=True) as repos:
            if must_exist and author_id is not None and await repos.users.get(author_id) is None:
                raise UserNotFoundError
            rows = await repos.posts.list_authored(
                limit=page.limit + 1,
                skip=page.skip,
                author_id=author_id,
                after=page.after,
                before=page.before,
            )
        return trim(rows, page)

    async def edit_post(
        self,
        actor: User,
        post_id: int,
        command: EditPost,
        *,
        expected: Precondition | None = None,
    ) -> AuthoredPost:
        """Change a post's title or content: its author only; a missing post is 404 first.

        With `expected`, only if the post (and its author's name) is still in
        a state the client named; the post's own version is checked again by
        the write itself.
        """
        async with self._uow.write() as tx:
            current = await self._own_post(tx, actor, post_id, Action.EDIT_POST)
            expected_version = pin(
                expected, revision=current.revision, version=current.post.version
            )
            if command == EditPost():
                return current
            updated = await tx.posts.update(
                current.post.changed(title=command.title, content=command.content),
                expected_version=expected_version,
            )
            if updated is None:
                raise PostNotFoundError
            await tx.commit()
        return AuthoredPost(post=updated, author=current.author)

    async def delete_post(
        self,
        actor: User,
        post_id: int,
        *,
        expected: Precondition | None = None,
        reason: str | None = None,
        origin: Origin | None = None,
    ) -> None:
        """Delete a post: its author, or an admin (moderation); a missing post is 404 first.

        An admin removing another member's post gives a `reason`
        (ModerationReasonRequiredError without one), which the audit trail
        keeps with the removal, in its transaction. The idempotency record
        of its create, a copy of it, goes in the same transaction. With
        `expected`, only if the post is still in a state the client named.
        """
        async with self._uow.write() as tx:
            current = await self._own_post(tx, actor, post_id, Action.DELETE_POST)
            moderated = current.post.author_id != actor.id
            if moderated:
                if reason is None or not reason.strip():
                    raise ModerationReasonRequiredError
                await tx.audit.record(
                    NewAuditEvent(
                        kind=AuditKind.POST_REMOVED,
                        actor_id=actor.id,
                        target=post_target(post_id),
                        detail=f"{user_target(current.author.id)}: {reason.strip()}",
                        origin=origin or Origin(),
                    )
                )
            expected_version = pin(
                expected, revision=current.revision, version=current.post.version
            )
            # A post deleted meanwhile is what the caller wanted: 204 as before, not a 404.
            await tx.posts.delete(post_id, expected_version=expected_version)
            await tx.commit()

    @staticmethod
    async def _own_post(
        repos: Repositories, actor: User, post_id: int, action: Action
    ) -> AuthoredPost:
        """The post, with its author as this transaction sees them, if `actor` may do `action`.

        The post's row is locked: an edit of the title and a parallel edit of
        the content both land, instead of the second writing back the title it
        read before the first committed.
        """
        authored = await repos.posts.get_authored(post_id, for_update=True)
        if authored is None:
            raise PostNotFoundError
        authorize(actor, action, owner_id=authored.post.author_id)
        return authored


async def _require_caller(repos: Repositories, caller: Caller) -> None:
    """What the INSERT would have checked: the account, and the session when there is one."""
    if caller.session_id is None:
        found = await repos.users.get(caller.user_id)
    else:
        found = await repos.users.get_signed_in(caller.user_id, caller.session_id)
    if found is None:
        raise UserNotFoundError
