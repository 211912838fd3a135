"""The caller's sessions: list them, end one, or end all the others.

Each route's use case checks, in its own statement, that the caller's
session is live: a revoked session's token gets the same 401 here as anywhere.
"""

from typing import Annotated
from uuid import UUID

from fastapi import Path, Request, Response, status

from interfaces.http.dependencies import session_service
from interfaces.http.errors import error_responses
from interfaces.http.origin import OriginDep
from interfaces.http.routing import service_router
from interfaces.http.security import CallerDep
from interfaces.http.sessions.schemas import SessionRead

router = service_router(prefix="/users/me/sessions", tags=["sessions"])

SessionId = Annotated[UUID, Path(description="The session's id, from the list.")]


@router.get(
    "",
    response_model=list[SessionRead],
    responses=error_responses(401),
    summary="List the caller's sessions",
)
async def list_sessions(caller: CallerDep, request: Request) -> list[SessionRead]:
    """The caller's live sessions (one per login not yet ended), the most recently used first;
    `current` marks the one whose token made this request."""
    sessions = session_service(request)
    found = await sessions.list_sessions(caller)
    return [SessionRead.of(s, current=s.id == caller.session_id) for s in found]


@router.delete(
    "",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(401),
    summary="Sign out everywhere else",
)
async def revoke_other_sessions(caller: CallerDep, request: Request, origin: OriginDep) -> None:
    """End every session of the caller's but the current one: their tokens stop working at once."""
    sessions = session_service(request)
    await sessions.revoke_other_sessions(caller, origin=origin)


@router.delete(
    "/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(401, 404),
    summary="End a session",
)
async def revoke_session(
    session_id: SessionId, caller: CallerDep, request: Request, origin: OriginDep
) -> None:
    """End one of the caller's sessions (the current one too: that is a logout).

    404 when no live session of the caller's has that id, whether it ended,
    never existed or is someone else's.
    """
    sessions = session_service(request)
    await sessions.revoke_session(caller, session_id, origin=origin)
