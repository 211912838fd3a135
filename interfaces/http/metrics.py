"""GET /metrics, in Prometheus' text format."""

from fastapi import Request, Response

from infrastructure.container import EXPOSITION_CONTENT_TYPE, Metrics
from interfaces.http.routing import service_router

router = service_router()


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Scraped by Prometheus; not part of the API, so not in the OpenAPI document."""
    collected: Metrics = request.app.state.metrics
    return Response(collected.exposition(), media_type=EXPOSITION_CONTENT_TYPE)
