"""Routing helpers shared by the routers: the route class every operation is served by."""

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response, params
from fastapi.routing import APIRoute

from interfaces.http.auth.form import require_form
from interfaces.http.errors import error_responses
from interfaces.http.openapi import operation_id
from interfaces.http.params import reject_repeated_query_parameters, require_json

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


class ServiceRoute(APIRoute):
    """An operation of this API: FastAPI's route, with the checks every operation makes.

    Before FastAPI reads a parameter or the body: a parameter given twice is
    refused (422), and a body of another media type than the operation takes
    (JSON, or a form for the OAuth2 routes) is a 415 that says what to send.
    Here rather than as dependencies, which FastAPI solves anew on every
    request, at a cost larger than these checks; and here rather than in the
    middleware, so that a path that matches no operation stays a 404.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        media_type = _media_type_check(self)

        async def checked(request: Request) -> Response:
            reject_repeated_query_parameters(request)
            if media_type is not None:
                media_type(request)
            return await handle(request)

        return checked


def _media_type_check(route: APIRoute) -> Callable[[Request], None] | None:
    """What refuses a body the operation cannot read; None for an operation without one."""
    body = route.body_field
    if body is None:
        return None
    return require_form if isinstance(body.field_info, params.Form) else require_json


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
