"""HTTP endpoints for users: parse, call the use case, shape the answer.

Anyone may read a user's public view (`UserPublic`, tagged with
`User.public_revision`); the account itself reads and changes its private one
(`UserPrivate`, tagged with `User.revision`) through `/users/me`, its PATCH and
the registration's 201. A conditional change (`If-Match` on PATCH or DELETE)
names the private ETag, from one of those answers: the public one stays the
same across a change of email or password, so it cannot say which state of
the account the client last saw, and never matches.
"""

from typing import Annotated, Any, Final

from fastapi import Depends, Path, Request, Response, status

from application.preconditions import Precondition
from application.users import RegisterUser, UpdateUser, UserService
from domain.audit import Origin
from domain.idempotency import StoredResponse
from domain.sessions import Caller
from domain.users import User
from interfaces.http.conditional import (
    IfMatch,
    conditional_read,
    read_conditions,
    tag,
    write_responses,
)
from interfaces.http.dependencies import email_verification_service, user_service
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
from interfaces.http.ratelimit import (
    CredentialChanges,
    CredentialChangesDep,
    limit_registrations,
    limit_verification_mails,
)
from interfaces.http.responses import JsonList
from interfaces.http.routing import collection_route, service_router
from interfaces.http.security import CallerDep, CurrentUser
from interfaces.http.users.schemas import (
    Accepted,
    UserCreate,
    UserPrivate,
    UserPublic,
    UserUpdate,
)

router = service_router(prefix="/users", tags=["users"])

_ONE: Final = "/{user_id}"
USER_PATH: Final = router.prefix + _ONE
"""Where a user is read: the `Location` of a registration, without asking Starlette, whose
`url_for` tries every route in turn."""

UserId = Annotated[Id, Path(description="The user's id, in decimal digits.")]


def _load_user_key(raw: list[Any]) -> int:
    (user_id,) = raw
    if type(user_id) is not int or not 1 <= user_id <= MAX_ID:
        raise ValueError("not a user id")
    return user_id


USERS: Final = Listing[int, User](
    key_of=lambda user: user.id, dump=lambda key: [key], load=_load_user_key
)
USER_LIST: Final = JsonList(UserPublic)


@collection_route(
    router,
    "POST",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPrivate,
    responses=error_responses(409, 413, 415, 429) | CREATED_HEADERS_DOC,
    dependencies=[Depends(limit_registrations)],
    summary="Register a user",
)
async def create_user(
    body: UserCreate, idempotency: IdempotencyKeyDep, request: Request
) -> Response:
    """Create an account; the email and the username are unique regardless of case.

    The answer is the account's private view, with the private ETag that a
    later `If-Match` names.

    With an `Idempotency-Key`, at most once per key; the key's scope is the
    email registered, as there is no caller to tell apart. Registrations are
    limited per client address (429 with `Retry-After` past it).
    """
    service = user_service(request)
    command = RegisterUser(email=body.email, username=body.username, password=body.password)

    def render(user: User) -> StoredResponse:
        location = USER_PATH.format(user_id=user.id)
        return created(UserPrivate.model_validate(user), location=location, revision=user.revision)

    if idempotency is None:
        return send(render(await service.register_user(command)))
    return send_outcome(await service.register_user_once(command, idempotency.once(render)))


@collection_route(
    router,
    "GET",
    response_model=list[UserPublic],
    responses=LINK_HEADER_DOC,
    summary="List users",
)
async def list_users(
    *,
    request: Request,
    skip: Skip = 0,
    limit: Limit = 100,
    cursor: CursorParam = None,
) -> Response:
    """Return users' public views ordered by id; the `Link` header leads to the other pages."""
    service = user_service(request)
    asked = USERS.request(request, listing="users", cursor=cursor, skip=skip, limit=limit)
    page = await service.list_users(asked)
    answer = USER_LIST.response([UserPublic.model_validate(user) for user in page.items])
    USERS.link(request, listing="users", response=answer, asked=asked, page=page)
    return answer


# Before /{user_id}, which would otherwise try to read "me" as an id.
@router.get("/me", response_model=UserPrivate, **conditional_read(401), summary="The caller")
async def get_current_user(user: CurrentUser, request: Request) -> Response:
    """Return the account the bearer token belongs to, in its private view.

    Its ETag is the one to send in `If-Match` when changing or deleting the account.
    """
    return read_conditions(request).answer(user.revision, UserPrivate.model_validate(user))


@router.patch(
    "/me",
    response_model=UserPrivate,
    responses=write_responses(401, 403, 409, 413, 415, 429, 503),
    summary="Change the caller's account",
)
async def update_current_user(
    *,
    body: UserUpdate,
    actor: CurrentUser,
    caller: CallerDep,
    expected: IfMatch,
    request: Request,
    limits: CredentialChangesDep,
    origin: OriginDep,
    response: Response,
) -> UserPrivate:
    """Like `PATCH /users/{user_id}` with the caller's own id."""
    service = user_service(request)
    return await _update(
        service,
        actor=actor,
        caller=caller,
        origin=origin,
        user_id=actor.id,
        body=body,
        expected=expected,
        limits=limits,
        response=response,
    )


@router.delete(
    "/me",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=write_responses(401, success=None),
    summary="Delete the caller's account",
)
async def delete_current_user(actor: CurrentUser, expected: IfMatch, request: Request) -> None:
    """Like `DELETE /users/{user_id}` with the caller's own id."""
    service = user_service(request)
    await service.delete_user(actor, actor.id, expected=expected)


@router.post(
    "/me/verification-mail",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=error_responses(401, 409, 429),
    summary="Mail the caller a new verification link",
)
async def send_verification_mail(actor: CurrentUser, request: Request) -> Accepted:
    """Mail a new link: to the address a change of email is pending to, else to the account's
    own while it is unverified (409 when neither needs proving). Limited per account (429).

    The links mailed before keep working until they expire.
    """
    service = email_verification_service(request)
    await limit_verification_mails(request, actor)
    await service.send_again(actor)
    return Accepted(detail="A new link is on its way")


@router.get(_ONE, response_model=UserPublic, **conditional_read(404), summary="Get a user")
async def get_user(user_id: UserId, request: Request) -> Response:
    """Return the user's public view; `If-None-Match` with its ETag makes it a 304 while
    that view is unchanged.

    The ETag is the public view's own: a change of email or password leaves it
    as it is. It is no use in `If-Match` on a change: send the private one.
    """
    service = user_service(request)
    conditions = read_conditions(request)
    user = await service.get_user(user_id)
    return conditions.answer(user.public_revision, UserPublic.model_validate(user))


@router.patch(
    "/{user_id}",
    response_model=UserPrivate,
    responses=write_responses(401, 403, 404, 409, 413, 415, 429, 503),
    summary="Change one's account",
)
async def update_user(
    *,
    user_id: UserId,
    body: UserUpdate,
    actor: CurrentUser,
    caller: CallerDep,
    expected: IfMatch,
    request: Request,
    limits: CredentialChangesDep,
    origin: OriginDep,
    response: Response,
) -> UserPrivate:
    """Change one's own email, username or password; fields left out stay as they are.

    A new email or password needs `current_password` as well (403 when it is
    wrong, counted as a failed login to the account from this address), and
    such changes are limited per account (429 with `Retry-After`). A new
    password signs out every other session of the account. A new email is
    not the account's at once: it shows as `pending_email`, a link is mailed
    to it (`POST /auth/verify-email` with its token makes the move), and the
    address the account has is told. With
    `If-Match`, only if the account still has that ETag: the private one,
    from `GET /users/me`, the registration or the last change (this answer's).
    """
    service = user_service(request)
    return await _update(
        service,
        actor=actor,
        caller=caller,
        origin=origin,
        user_id=user_id,
        body=body,
        expected=expected,
        limits=limits,
        response=response,
    )


async def _update(
    service: UserService,
    *,
    actor: User,
    caller: Caller,
    origin: Origin,
    user_id: int,
    body: UserUpdate,
    expected: Precondition | None,
    limits: CredentialChanges,
    response: Response,
) -> UserPrivate:
    command = UpdateUser(
        email=body.email,
        username=body.username,
        password=body.password,
        current_password=body.current_password,
    )
    guesses = None
    if command.changes_credentials and actor.id == user_id:
        await limits.change(actor)
        guesses = limits
    user = await service.update_user(
        actor,
        user_id,
        command,
        expected=expected,
        guesses=guesses,
        keep_session=caller.session_id,
        origin=origin,
    )
    tag(response, user.revision)
    return UserPrivate.model_validate(user)


@router.delete(
    "/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=write_responses(401, 403, 404, success=None),
    summary="Delete one's account",
)
async def delete_user(
    user_id: UserId, actor: CurrentUser, expected: IfMatch, request: Request
) -> None:
    """Delete one's own account and, with it, all of one's posts; its tokens stop working.

    With `If-Match`, only if the account still has that ETag (the private one).
    """
    service = user_service(request)
    await service.delete_user(actor, user_id, expected=expected)
