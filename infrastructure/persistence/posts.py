"""Posts stored in PostgreSQL, read and written with their authors in one statement."""

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, Final
from uuid import UUID

from sqlalchemy import Select, bindparam, exists, insert, select, tuple_, update

from domain.posts import Author, AuthoredPost, NewPost, Post, PostKey
from domain.users import UserNotFoundError
from infrastructure.persistence.lease import Lease
from infrastructure.persistence.sessions import LIVE
from infrastructure.persistence.statements import Statement
from infrastructure.persistence.tables import posts, sessions, users
from infrastructure.persistence.timestamps import stamp_after
from infrastructure.persistence.versions import delete_row, refuse_if_moved, row_at

_NEWEST_FIRST: Final = (posts.c.created_at.desc(), posts.c.id.desc())
_OLDEST_FIRST: Final = (posts.c.created_at, posts.c.id)
_POSITION: Final = tuple_(posts.c.created_at, posts.c.id)

# Posts joined to their authors: a page costs one statement whatever its size
# (the Core counterpart of the ORM's joinedload), never one query per post. A
# deactivated author's posts are left out by the same join.
_AUTHORED: Final = (
    select(
        posts, users.c.username.label("author_username"), users.c.version.label("author_version")
    )
    .join(users, users.c.id == posts.c.author_id)
    .where(users.c.active)
)


_BY_ID: Final = select(posts).where(posts.c.id == bindparam("post_id"))
_AUTHORED_BY_ID: Final = _AUTHORED.where(posts.c.id == bindparam("post_id"))
_GET: Final = Statement(_BY_ID)
_GET_FOR_UPDATE: Final = Statement(_BY_ID.with_for_update())
_GET_AUTHORED: Final = Statement(_AUTHORED_BY_ID)
# The post's row only: its author stays free for their own edits.
_GET_AUTHORED_FOR_UPDATE: Final = Statement(_AUTHORED_BY_ID.with_for_update(of=posts))


# The author, locked FOR KEY SHARE (the lock the foreign key would take, so a
# delete of the account waits for this transaction), feeds the INSERT's
# SELECT and then names the author next to the stored post: one statement
# verifies, locks and names the author. A missing author inserts nothing and
# returns no row, instead of raising, so the transaction stays usable, as the
# in-memory adapter's does, without the two round trips of a savepoint.
@cache
def _adding(*, in_session: bool, verified_only: bool = False) -> Statement:
    """The INSERT of a post, naming its author; `in_session` also requires a live session,
    `verified_only` a verified address."""
    author = (
        select(users.c.id, users.c.username, users.c.version)
        .where(users.c.id == bindparam("author_id"), users.c.active)
        .with_for_update(read=True, key_share=True)
    )
    if verified_only:
        author = author.where(users.c.email_verified)
    if in_session:
        author = author.where(
            exists().where(
                sessions.c.id == bindparam("session_id", type_=sessions.c.id.type),
                sessions.c.user_id == users.c.id,
                LIVE,
            )
        )
    author_cte = author.cte("author")
    inserted = (
        insert(posts)
        .from_select(
            ["title", "content", "author_id"],
            select(
                bindparam("title", type_=posts.c.title.type),
                bindparam("content", type_=posts.c.content.type),
                author_cte.c.id,
            ),
        )
        .returning(*posts.c)
        .cte("post")
    )
    return Statement(
        select(
            inserted,
            author_cte.c.username.label("author_username"),
            author_cte.c.version.label("author_version"),
        ).join_from(inserted, author_cte, inserted.c.author_id == author_cte.c.id)
    )


def _to_post(values: Mapping[str, Any]) -> Post:
    return Post(
        id=values["id"],
        title=values["title"],
        content=values["content"],
        author_id=values["author_id"],
        created_at=values["created_at"],
        updated_at=values["updated_at"],
        version=values["version"],
    )


def _to_authored(values: Mapping[str, Any]) -> AuthoredPost:
    post = _to_post(values)
    return AuthoredPost(
        post=post,
        author=Author(
            id=post.author_id,
            username=values["author_username"],
            version=values["author_version"],
        ),
    )


def page_statement(
    *,
    limit: int,
    skip: int = 0,
    author_id: int | None = None,
    after: PostKey | None = None,
    before: PostKey | None = None,
) -> tuple[Select[Any], dict[str, Any]]:
    """The SELECT behind a page of posts, and the values to bind to it.

    A key becomes a row comparison on (created_at, id), which PostgreSQL
    answers as a range of the (author_id,) created_at, id index: the page
    costs the same at any depth. A page before a key is read oldest first
    from the key and turned around by the caller.
    """
    key = before or after
    parameters: dict[str, Any] = {"limit": limit, "skip": skip, "author_id": author_id}
    if key is not None:
        parameters |= {"key_created_at": key.created_at, "key_id": key.id}
    shape = _page_shape(
        by_author=author_id is not None, after=after is not None, before=before is not None
    )
    return shape, parameters


@cache
def _compiled_page(shape: Select[Any]) -> Statement:
    """A page's shape compiled once; the shapes themselves are built once each."""
    return Statement(shape)


@cache
def _update(*, conditional: bool) -> Statement:
    return Statement(
        update(posts)
        .where(row_at(posts, conditional=conditional))
        .values(
            title=bindparam("title", type_=posts.c.title.type),
            content=bindparam("content", type_=posts.c.content.type),
            updated_at=stamp_after(posts.c.updated_at),
            version=posts.c.version + 1,
        )
        .returning(*posts.c)
    )


@cache
def _page_shape(*, by_author: bool, after: bool, before: bool) -> Select[Any]:
    """One statement per combination of filters, built once, its values bound per call."""
    statement = _AUTHORED
    if by_author:
        statement = statement.where(posts.c.author_id == bindparam("author_id"))
    key = tuple_(bindparam("key_created_at", type_=posts.c.created_at.type), bindparam("key_id"))
    if before:
        statement = statement.where(key < _POSITION).order_by(*_OLDEST_FIRST)
    else:
        if after:
            statement = statement.where(key > _POSITION)
        statement = statement.order_by(*_NEWEST_FIRST)
    return statement.offset(bindparam("skip")).limit(bindparam("limit"))


class PostgresPostRepository:
    """The posts table, read and written through one unit of work's connection."""

    def __init__(self, lease: Lease) -> None:
        self._lease = lease

    async def add(
        self, post: NewPost, *, session_id: UUID | None = None, verified_only: bool = False
    ) -> AuthoredPost:
        values = {
            "title": post.title,
            "content": post.content,
            "author_id": post.author_id,
            "session_id": session_id,
        }
        statement = _adding(in_session=session_id is not None, verified_only=verified_only)
        row = await statement.first(self._lease.connection, values)
        if row is None:
            raise UserNotFoundError
        return _to_authored(row)

    async def get(self, post_id: int, *, for_update: bool = False) -> Post | None:
        statement = _GET_FOR_UPDATE if for_update else _GET
        row = await statement.first(self._lease.connection, {"post_id": post_id})
        return None if row is None else _to_post(row)

    async def get_authored(self, post_id: int, *, for_update: bool = False) -> AuthoredPost | None:
        statement = _GET_AUTHORED_FOR_UPDATE if for_update else _GET_AUTHORED
        row = await statement.first(self._lease.connection, {"post_id": post_id})
        return None if row is None else _to_authored(row)

    async def list_authored(
        self,
        *,
        limit: int,
        skip: int = 0,
        author_id: int | None = None,
        after: PostKey | None = None,
        before: PostKey | None = None,
    ) -> Sequence[AuthoredPost]:
        shape, parameters = page_statement(
            limit=limit, skip=skip, author_id=author_id, after=after, before=before
        )
        rows = await _compiled_page(shape).rows(self._lease.connection, parameters)
        found = [_to_authored(row) for row in rows]
        return found[::-1] if before is not None else found

    async def update(self, post: Post, *, expected_version: int | None = None) -> Post | None:
        values = {
            "row_id": post.id,
            "expected_version": expected_version,
            "title": post.title,
            "content": post.content,
        }
        row = await _update(conditional=expected_version is not None).first(
            self._lease.connection, values
        )
        if row is None:
            await refuse_if_moved(self._lease.connection, posts, post.id, expected_version)
            return None
        return _to_post(row)

    async def delete(self, post_id: int, *, expected_version: int | None = None) -> bool:
        return await delete_row(self._lease.connection, posts, post_id, expected_version)
