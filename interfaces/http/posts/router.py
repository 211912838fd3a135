"""HTTP endpoints for posts: parse, call the use case, shape the answer."""

from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import Path, Query, Request, Response, status

from application.posts import EditPost, PublishPost
from domain.idempotency import StoredResponse
from domain.posts import AuthoredPost, PostKey
from domain.posts.rules import MODERATION_REASON_MAX_LENGTH
from interfaces.http.conditional import (
    IfMatch,
    conditional_read,
    read_conditions,
    tag,
    write_responses,
)
from interfaces.http.dependencies import post_service
from interfaces.http.errors import error_responses
from interfaces.http.idempotency import (
    CREATED_HEADERS_DOC,
    IdempotencyKeyDep,
    created,
    send,
    send_outcome,
)
from interfaces.http.origin import OriginDep
from interfaces.http.pagination import LINK_HEADER_DOC, CursorParam, Listing
from interfaces.http.params import MAX_ID, Id, Limit, Skip
from interfaces.http.posts.schemas import PostCreate, PostRead, PostUpdate
from interfaces.http.responses import JsonList
from interfaces.http.routing import collection_route, service_router
from interfaces.http.security import CallerDep, CurrentUser, caller_must_exist

router = service_router(tags=["posts"])

POST_PATH: Final = "/posts/{post_id}"
"""Where a post is read: the `Location` of a created one, without asking Starlette, whose
`url_for` tries every route in turn."""

PostId = Annotated[Id, Path(description="The post's id, in decimal digits.")]
UserId = Annotated[Id, Path(description="The author's id, in decimal digits.")]
AuthorFilter = Annotated[Id | None, Query(description="Only posts by this user.")]


def _dump_post_key(key: PostKey) -> list[Any]:
    return [key.created_at.isoformat(), key.id]


def _load_post_key(raw: list[Any]) -> PostKey:
    created_at, post_id = raw
    if type(created_at) is not str or type(post_id) is not int or not 1 <= post_id <= MAX_ID:
        raise ValueError("not a post key")
    moment = datetime.fromisoformat(created_at)
    if moment.tzinfo is None:
        raise ValueError("a post key's time has a time zone")
    return PostKey(created_at=moment, id=post_id)


POSTS: Final = Listing[PostKey, AuthoredPost](
    key_of=lambda authored: PostKey.of(authored.post), dump=_dump_post_key, load=_load_post_key
)
POST_LIST: Final = JsonList(PostRead)


@collection_route(
    router,
    "POST",
    "/posts",
    status_code=status.HTTP_201_CREATED,
    response_model=PostRead,
    responses=error_responses(401, 409, 413, 415) | CREATED_HEADERS_DOC,
    summary="Publish a post",
)
async def create_post(
    body: PostCreate,
    author: CallerDep,
    idempotency: IdempotencyKeyDep,
    request: Request,
) -> Response:
    """Publish a post as the caller; with an `Idempotency-Key`, at most once per key."""
    service = post_service(request)
    command = PublishPost(title=body.title, content=body.content)

    def render(authored: AuthoredPost) -> StoredResponse:
        location = POST_PATH.format(post_id=authored.post.id)
        return created(PostRead.of(authored), location=location, revision=authored.revision)

    # The INSERT checks the caller's account and session: no read of them beforehand.
    with caller_must_exist():
        if idempotency is None:
            return send(render(await service.publish_post(author, command)))
        once = idempotency.once(render)
        return send_outcome(await service.publish_post_once(author, command, once))


@collection_route(
    router,
    "GET",
    "/posts",
    response_model=list[PostRead],
    responses=LINK_HEADER_DOC,
    summary="List posts",
)
async def list_posts(
    *,
    request: Request,
    skip: Skip = 0,
    limit: Limit = 100,
    author_id: AuthorFilter = None,
    cursor: CursorParam = None,
) -> Response:
    """Return posts newest first, each with its author; `author_id` keeps one author's.

    The `Link` header leads to the next and previous pages.
    """
    service = post_service(request)
    listing = f"posts?author_id={author_id or ''}"
    asked = POSTS.request(request, listing=listing, cursor=cursor, skip=skip, limit=limit)
    page = await service.list_posts(asked, author_id=author_id)
    answer = POST_LIST.response([PostRead.of(authored) for authored in page.items])
    POSTS.link(request, listing=listing, response=answer, asked=asked, page=page)
    return answer


@router.get(
    POST_PATH,
    response_model=PostRead,
    **conditional_read(404),
    summary="Get a post",
)
async def get_post(post_id: PostId, request: Request) -> Response:
    """Return the post with its author; `If-None-Match` with its ETag makes it a 304 while
    neither the post nor its author's name changed."""
    service = post_service(request)
    conditions = read_conditions(request)
    authored = await service.get_post(post_id)
    return conditions.answer(authored.revision, PostRead.of(authored))


@router.patch(
    "/posts/{post_id}",
    response_model=PostRead,
    responses=write_responses(401, 403, 404, 413, 415),
    summary="Edit a post",
)
async def update_post(
    *,
    post_id: PostId,
    body: PostUpdate,
    actor: CurrentUser,
    expected: IfMatch,
    request: Request,
    response: Response,
) -> PostRead:
    """Change the title or the content of one's own post.

    With `If-Match`, only if the post still has that ETag.
    """
    service = post_service(request)
    authored = await service.edit_post(
        actor, post_id, EditPost(title=body.title, content=body.content), expected=expected
    )
    tag(response, authored.revision)
    return PostRead.of(authored)


@router.delete(
    "/posts/{post_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=write_responses(401, 403, 404, success=None),
    summary="Delete a post",
)
async def delete_post(
    *,
    post_id: PostId,
    actor: CurrentUser,
    expected: IfMatch,
    request: Request,
    origin: OriginDep,
    reason: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MODERATION_REASON_MAX_LENGTH,
            description="Why an admin removes another member's post (required then); "
            "kept in the audit trail.",
        ),
    ] = None,
) -> None:
    """Delete one's own post, or (an admin) anyone's, with a `reason`. With `If-Match`, only
    if it still has that ETag."""
    service = post_service(request)
    await service.delete_post(actor, post_id, expected=expected, reason=reason, origin=origin)


@router.get(
    "/users/{user_id}/posts",
    response_model=list[PostRead],
    responses=error_responses(404) | LINK_HEADER_DOC,
    summary="List a user's posts",
    tags=["users"],
)
async def list_user_posts(
    *,
    user_id: UserId,
    request: Request,
    skip: Skip = 0,
    limit: Limit = 100,
    cursor: CursorParam = None,
) -> Response:
    """Return one user's posts, newest first; the `Link` header leads to the other pages."""
    service = post_service(request)
    listing = f"users/{user_id}/posts"
    asked = POSTS.request(request, listing=listing, cursor=cursor, skip=skip, limit=limit)
    page = await service.list_user_posts(user_id, asked)
    answer = POST_LIST.response([PostRead.of(authored) for authored in page.items])
    POSTS.link(request, listing=listing, response=answer, asked=asked, page=page)
    return answer
