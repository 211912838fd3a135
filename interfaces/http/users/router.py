"""HTTP endpoints for users: parse, call the use case, shape the answer."""

from collections.abc import Sequence
from typing import Annotated, Final

from fastapi import APIRouter, Path, Query, Request, Response, status

from application.users import RegisterUser
from application.users.service import MAX_PAGE_SIZE
from interfaces.http.dependencies import UserServiceDep
from interfaces.http.routing import collection_route
from interfaces.http.users.schemas import UserCreate, UserRead

MAX_ID: Final = 2**63 - 1
"""Ids are PostgreSQL bigints; anything larger is refused with 422 before it reaches SQL."""

router = APIRouter(prefix="/users", tags=["users"])

_ERROR = {"description": "Error", "content": {"application/json": {"example": {"detail": "..."}}}}

UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="The user's id.")]


@collection_route(
    router,
    "POST",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses={
        409: {**_ERROR, "description": "Email already registered, or username already taken"}
    },
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
    service: UserServiceDep,
    skip: Annotated[int, Query(ge=0, le=MAX_ID, description="Users to skip.")] = 0,
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Most users to return.")
    ] = MAX_PAGE_SIZE,
) -> Sequence[UserRead]:
    """Return users ordered by id."""
    users = await service.list_users(skip=skip, limit=limit)
    return [UserRead.model_validate(user) for user in users]


@router.get(
    "/{user_id}",
    response_model=UserRead,
    responses={404: {**_ERROR, "description": "User not found"}},
    summary="Get a user",
)
async def get_user(user_id: UserId, service: UserServiceDep) -> UserRead:
    return UserRead.model_validate(await service.get_user(user_id))
