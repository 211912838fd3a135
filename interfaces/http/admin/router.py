"""HTTP endpoints for admins: parse, call the use case with the caller, shape the answer.

Whether the caller may is the use case's question to the policy
(`domain/authorization.py`): a member gets its 403 from there, not from here.
"""

from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import Path, Query, Request, Response

from application.admin import AccountChange
from domain.audit import AuditEvent, AuditFilter, AuditKind
from domain.audit.entities import TARGET_MAX_LENGTH
from domain.users import Role, UserFilter
from domain.users.rules import EMAIL_MAX_LENGTH, USERNAME_MAX_LENGTH
from interfaces.http.admin.schemas import AccountChangeBody, AuditEventRead, UserAdminView
from interfaces.http.dependencies import admin_service
from interfaces.http.errors import error_responses
from interfaces.http.origin import OriginDep
from interfaces.http.pagination import LINK_HEADER_DOC, CursorParam, Listing
from interfaces.http.params import MAX_ID, Id, Limit
from interfaces.http.responses import JsonList
from interfaces.http.routing import service_router
from interfaces.http.security import CurrentUser
from interfaces.http.users.router import USERS

router = service_router(prefix="/admin", tags=["admin"])

UserId = Annotated[Id, Path(description="The account's id, in decimal digits.")]


@router.get(
    "/users",
    response_model=list[UserAdminView],
    responses=error_responses(401, 403) | LINK_HEADER_DOC,
    summary="List accounts (admins)",
)
async def list_accounts(
    *,
    actor: CurrentUser,
    request: Request,
    username: Annotated[
        str | None,
        Query(min_length=1, max_length=USERNAME_MAX_LENGTH, description="A username prefix."),
    ] = None,
    email: Annotated[
        str | None,
        Query(min_length=1, max_length=EMAIL_MAX_LENGTH, description="An email prefix."),
    ] = None,
    role: Role | None = None,
    active: bool | None = None,
    limit: Limit = 100,
    cursor: CursorParam = None,
) -> Response:
    """Accounts in id order with their private fields, filtered by prefixes of the username
    or the email (without case), the role and whether active; the `Link` header leads on.

    A cursor holds its filters: it is refused with others.
    """
    service = admin_service(request)
    where = UserFilter(username_prefix=username, email_prefix=email, role=role, active=active)
    listing = _listing("admin-users", request)
    asked = USERS.request(request, listing=listing, cursor=cursor, skip=0, limit=limit)
    page = await service.list_users(actor, where, asked)
    answer = ACCOUNT_LIST.response([UserAdminView.model_validate(user) for user in page.items])
    USERS.link(request, listing=listing, response=answer, asked=asked, page=page)
    return answer


@router.patch(
    "/users/{user_id}",
    response_model=UserAdminView,
    responses=error_responses(401, 403, 404, 409, 413, 415),
    summary="Change an account's role or activity (admins)",
)
async def change_account(
    user_id: UserId,
    body: AccountChangeBody,
    actor: CurrentUser,
    request: Request,
    origin: OriginDep,
) -> UserAdminView:
    """Set `role` (`member` or `admin`) or `active`. Deactivating ends every session of the
    account at once and hides its posts; its logins are refused until it is active again.
    The last active admin can be neither demoted nor deactivated (409, saying why)."""
    service = admin_service(request)
    change = AccountChange(role=body.role, active=body.active)
    changed = await service.change_account(actor, user_id, change, origin=origin)
    return UserAdminView.model_validate(changed)


def _load_event_key(raw: list[Any]) -> int:
    (event_id,) = raw
    if type(event_id) is not int or not 1 <= event_id <= MAX_ID:
        raise ValueError("not an event id")
    return event_id


EVENTS: Final = Listing[int, AuditEvent](
    key_of=lambda event: event.id, dump=lambda key: [key], load=_load_event_key
)
EVENT_LIST: Final = JsonList(AuditEventRead)
ACCOUNT_LIST: Final = JsonList(UserAdminView)


@router.get(
    "/audit",
    response_model=list[AuditEventRead],
    responses=error_responses(401, 403) | LINK_HEADER_DOC,
    summary="Read the audit trail (admins)",
)
async def list_audit_events(
    *,
    actor: CurrentUser,
    request: Request,
    actor_id: Annotated[Id | None, Query(description="Events done by this account.")] = None,
    target: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=TARGET_MAX_LENGTH,
            description="Events done to this: `user:7`, `post:42`, `session:<id>`.",
        ),
    ] = None,
    kind: AuditKind | None = None,
    limit: Limit = 100,
    cursor: CursorParam = None,
) -> Response:
    """Security and admin events, newest first, filtered by actor, target and kind; the
    `Link` header leads on. Events are never changed or deleted."""
    service = admin_service(request)
    where = AuditFilter(actor_id=actor_id, target=target, kind=kind)
    listing = _listing("admin-audit", request)
    asked = EVENTS.request(request, listing=listing, cursor=cursor, skip=0, limit=limit)
    page = await service.list_audit(actor, where, asked)
    answer = EVENT_LIST.response([AuditEventRead.model_validate(event) for event in page.items])
    EVENTS.link(request, listing=listing, response=answer, asked=asked, page=page)
    return answer


def _listing(name: str, request: Request) -> str:
    """The list a cursor belongs to, filters included: a cursor is refused with other filters."""
    filters = {k: v for k, v in request.query_params.items() if k not in ("cursor", "limit")}
    return f"{name}?{urlencode(sorted(filters.items()))}"
