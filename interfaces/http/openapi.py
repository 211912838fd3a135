"""The OpenAPI document: stable operation ids and errors as problem documents."""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from interfaces.http.error_examples import problem_example
from interfaces.http.problems import PROBLEM_MEDIA_TYPE


def operation_id(route: APIRoute) -> str:
    """The endpoint's function name: `create_user`, `list_posts`... stable across versions.

    Generated clients name their methods after these.
    """
    return route.name


def install_openapi(app: FastAPI, *, query_maximums: Mapping[str, int] | None = None) -> None:
    """Build the document once, then serve it from memory.

    Error responses are declared with the problem models; FastAPI files them
    under application/json, so they are moved to application/problem+json,
    the media type the handlers send, each with an example of its own status
    for its own operation (`interfaces.http.error_examples`). `query_maximums`
    gives the largest value of query parameters whose bound is a setting
    (`skip`), which the routes, declared at import, cannot know.
    """

    maximums = dict(query_maximums or {})

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            for path, operations in document["paths"].items():
                for method, operation in operations.items():
                    for parameter in operation.get("parameters", []):
                        if parameter["in"] == "query" and parameter["name"] in maximums:
                            parameter["schema"]["maximum"] = maximums[parameter["name"]]
                    for status, response in operation.get("responses", {}).items():
                        content = response.get("content", {})
                        if int(status) >= HTTPStatus.BAD_REQUEST and "application/json" in content:
                            problem = content.pop("application/json")
                            problem["example"] = problem_example(
                                int(status), method, path, operation
                            )
                            content[PROBLEM_MEDIA_TYPE] = problem
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
