"""Probes for load balancers and orchestrators: is the process up, and can it serve?"""

from typing import Literal

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from application.health import ReadinessProbe
from interfaces.http.dependencies import container_of
from interfaces.http.errors import error_responses
from interfaces.http.problems import problem_response
from interfaces.http.routing import service_router

router = service_router(prefix="/health", tags=["health"])


class Health(BaseModel):
    status: Literal["ok", "ready"]
    detail: str


@router.get("/live", response_model=Health, summary="Liveness")
async def live() -> Health:
    """200 while the process serves requests; it looks at nothing else, so a slow database
    never gets a healthy process restarted."""
    return Health(status="ok", detail="serving")


@router.get(
    "/ready",
    response_model=Health,
    responses=error_responses(503),
    summary="Readiness",
)
async def ready(request: Request) -> Health | JSONResponse:
    """200 when the database answers within HEALTH_TIMEOUT and its schema is at head, else 503."""
    probe: ReadinessProbe = container_of(request).readiness()
    readiness = await probe.check()
    if not readiness.ready:
        return problem_response(
            request,
            503,
            f"Not ready: {readiness.detail}",
            type_="/problems/not-ready",
            headers={"Retry-After": "5"},
        )
    return Health(status="ready", detail=readiness.detail)
