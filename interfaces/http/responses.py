"""Answers built whole by the route, so FastAPI sends them as they are.

A route that returns a model has FastAPI validate it against the
`response_model` once more and then serialize it; one that returns a
`Response` is passed through untouched. These serialize the model once, with
pydantic's own serializer, which is all that second check would have done:
the models are built from entities the layers already hold to their rules.
`response_model` stays on each route, for the OpenAPI document.
"""

from collections.abc import Mapping
from typing import Final, Generic, TypeVar

from fastapi import Response
from pydantic import BaseModel, TypeAdapter

JSON: Final = "application/json"
Item = TypeVar("Item", bound=BaseModel)


def json_response(
    model: BaseModel, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """`model` as the JSON body of the whole answer."""
    return Response(
        model.__pydantic_serializer__.to_json(model),
        status_code=status_code,
        headers=headers,
        media_type=JSON,
    )


class JsonList(Generic[Item]):
    """Lists of one model as the JSON body of the whole answer: one per model, built once."""

    __slots__ = ("_adapter",)

    def __init__(self, item: type[Item]) -> None:
        self._adapter: Final = TypeAdapter(list[item])  # type: ignore[valid-type]

    def response(self, items: list[Item]) -> Response:
        return Response(self._adapter.dump_json(items), media_type=JSON)
