"""Parameters and body conventions that several routers share."""

import re
from collections.abc import Callable
from email.message import Message
from typing import Annotated, Final, Self

from fastapi import Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from starlette.exceptions import HTTPException

from application.pagination import MAX_PAGE_SIZE
from domain.errors import DomainError

MAX_ID: Final = 2**63 - 1
"""Ids are PostgreSQL bigints; anything larger is refused with 422 before it reaches SQL."""

_DECIMAL: Final = re.compile(r"0|[1-9][0-9]*")


def _canonical_decimal(value: object) -> object:
    """Let through only the one spelling the API writes: ASCII digits, no leading zero.

    pydantic reads `1.0`, `+1`, ` 1`, `01` and `1_000` as 1 too, so one
    resource would answer at endless URLs, past caches, logs and any rule
    written for `/users/1`.
    """
    if isinstance(value, str) and not _DECIMAL.fullmatch(value):
        raise ValueError("must be written in decimal digits, with no sign, spaces or leading zero")
    return value


# The bounds come before the validator: so placed, they reach the OpenAPI document as
# `minimum` and `maximum` of an integer (placed after, pydantic cannot express them).
Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_canonical_decimal)]
"""A positive bigint in a path or a query, in decimal digits only."""
# Its maximum is MAX_SKIP, a setting: checked by `Paging`, written into the document by
# `install_openapi`.
Offset = Annotated[int, Field(ge=0), BeforeValidator(_canonical_decimal)]
PageSize = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE), BeforeValidator(_canonical_decimal)]

Skip = Annotated[
    Offset,
    Query(description="Items to skip (see the maximum); deeper, follow the `Link` header."),
]
Limit = Annotated[PageSize, Query(description="Most items to return.")]


def domain_rule(rule: Callable[[str], str]) -> AfterValidator:
    """Run a domain rule as a pydantic validator, so its message lands on the field."""

    def validate(value: str) -> str:
        try:
            return rule(value)
        except DomainError as error:
            raise ValueError(error.message) from None

    return AfterValidator(validate)


class PartialUpdate(BaseModel):
    """A PATCH body: fields left out stay as they are, unknown fields are refused.

    Null is refused too: it would read as "erase", which no field allows.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        nulls = sorted(name for name in self.model_fields_set if getattr(self, name) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null; leave a field out to keep it")
        return self


def require_json(request: Request) -> None:
    """Refuse a body that is not declared as JSON with 415, rather than guess.

    `application/json` and the `application/*+json` family are accepted.
    """
    message = Message()
    message["content-type"] = request.headers.get("content-type", "")
    subtype = message.get_content_subtype()
    if message.get_content_maintype() != "application" or not (
        subtype == "json" or subtype.endswith("+json")
    ):
        raise HTTPException(415, "The request body must be JSON, sent as application/json")


def reject_repeated_query_parameters(request: Request) -> None:
    """A parameter given twice (`?limit=5&limit=50`) is ambiguous: 422 rather than a guess.

    Unknown parameters are ignored, as HTTP caches and trackers add their own.
    A query string without `&` holds one parameter at most (Starlette splits on
    `&` alone): nothing to parse.
    """
    if b"&" not in request.scope["query_string"]:
        return
    seen: set[str] = set()
    repeated = []
    for name, _ in request.query_params.multi_items():
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    if repeated:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", name),
                    "msg": "The parameter is given more than once",
                    "type": "repeated_parameter",
                }
                for name in repeated
            ]
        )
