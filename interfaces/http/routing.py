"""Routing helpers shared by the routers: the route class every operation is served by."""

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from interfaces.http.errors import error_responses
from interfaces.http.openapi import operation_id
from interfaces.http.params import reject_repeated_query_parameters

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


class ServiceRoute(APIRoute):
    """An operation of this API: FastAPI's route, with the checks every operation makes.

    A parameter given twice is refused here, before FastAPI reads the
    parameters, rather than by an app-wide dependency: every dependency
    costs FastAPI a pass of its solver on every request, and this check is
    one look at the query string. Here rather than in the middleware, so a
    path that matches no operation stays a 404.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def checked(request: Request) -> Response:
            reject_repeated_query_parameters(request)
            return await handle(request)

        return checked


def service_router(**options: Any) -> APIRouter:
    """An `APIRouter` whose operations are `ServiceRoute`s, named after their functions
    (`operation_id`), with the errors any operation may answer documented."""
    return APIRouter(
        route_class=ServiceRoute,
        generate_unique_id_function=operation_id,
        responses=error_responses(422, 500, 503),
        **options,
    )


def collection_route(
    router: APIRouter, method: str, path: str = "", **options: Any
) -> Callable[[Endpoint], Endpoint]:
    """Serve a collection at both `{path}/` and `{path}`, with no redirect.

    Some clients do not follow a redirect on POST, and the seed API documents
    the trailing-slash form; only that one appears in the OpenAPI document.
    """

    def register(endpoint: Endpoint) -> Endpoint:
        router.add_api_route(f"{path}/", endpoint, methods=[method], **options)
        router.add_api_route(path, endpoint, methods=[method], include_in_schema=False, **options)
        return endpoint

    return register
