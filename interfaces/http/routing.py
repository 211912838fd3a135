"""Routing helpers shared by the routers."""

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


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
