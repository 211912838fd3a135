"""HTTP endpoints for users: parse, call the use case, shape the answer."""

from collections.abc import Sequence
from typing import Annotated, Final

from fastapi import APIRouter, Path, Request, Response, status

from application.users import RegisterUser, UpdateUser
from interfaces.http.dependencies import UserServiceDep
from interfaces.http.errors import error_response
from interfaces.http.params import MAX_ID, Limit, Skip
from interfaces.http.routing import collection_route
from interfaces.http.security import CurrentUser
from interfaces.http.users.schemas import UserCreate, UserRead, UserUpdate

router = APIRouter(prefix="/users", tags=["users"])

UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="The user's id.")]


_UNAUTHENTICATED: Final = error_response(401, "Missing or invalid bearer token")
_NOT_OWNER: Final = error_response(403, "Only the account's owner may change it")
_NOT_FOUND: Final = error_response(404, "User not found")
_TAKEN: Final = error_response(409, "Email already registered, or username already taken")


@collection_route(
    router,
    "POST",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses=_TAKEN,
    summary="Register a user",
)
async def register_user(
    body: UserCreate, service: UserServiceDep, request: Request, response: Response
) -> UserRead:
    """Create an account; the email and the username are unique regardless of case."""
    user = await service.register_user(
        RegisterUser(email=body.email, username=body.username, password=body.password)
    )
    response.headers["Location"] = request.url_for("get_user", user_id=user.id).path
    return UserRead.model_validate(user)


@collection_route(router, "GET", response_model=list[UserRead], summary="List users")
async def list_users(
    service: UserServiceDep, skip: Skip = 0, limit: Limit = 100
) -> Sequence[UserRead]:
    """Return users ordered by id."""
    users = await service.list_users(skip=skip, limit=limit)
    return [UserRead.model_validate(user) for user in users]


# Before /{user_id}, which would otherwise try to read "me" as an id.
@router.get("/me", response_model=UserRead, responses=_UNAUTHENTICATED, summary="The caller")
async def get_me(user: CurrentUser) -> UserRead:
    """Return the user the bearer token belongs to."""
    return UserRead.model_validate(user)


@router.get("/{user_id}", response_model=UserRead, responses=_NOT_FOUND, summary="Get a user")
async def get_user(user_id: UserId, service: UserServiceDep) -> UserRead:
    return UserRead.model_validate(await service.get_user(user_id))


@router.patch(
    "/{user_id}",
    response_model=UserRead,
    responses=_UNAUTHENTICATED | _NOT_OWNER | _NOT_FOUND | _TAKEN,
    summary="Change one's account",
)
async def update_user(
    user_id: UserId, body: UserUpdate, actor: CurrentUser, service: UserServiceDep
) -> UserRead:
    """Change one's own email, username or password; fields left out stay as they are."""
    user = await service.update_user(
        actor,
        user_id,
        UpdateUser(email=body.email, username=body.username, password=body.password),
    )
    return UserRead.model_validate(user)


@router.delete(
    "/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=_UNAUTHENTICATED | _NOT_OWNER | _NOT_FOUND,
    summary="Delete one's account",
)
async def delete_user(user_id: UserId, actor: CurrentUser, service: UserServiceDep) -> None:
    """Delete one's own account and, with it, all of one's posts; its tokens stop working."""
    await service.delete_user(actor, user_id)
