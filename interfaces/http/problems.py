"""RFC 9457 problem details: the one shape of every error this API returns."""

import re
from http import HTTPStatus
from typing import Any, Final

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
ABOUT_BLANK: Final = "about:blank"


class Problem(BaseModel):
    """An error, as RFC 9457 describes it; each operation's answers give an example per status."""

    type: str = Field(
        default=ABOUT_BLANK,
        description="Identifies the kind of problem; 'about:blank' when the status says it all.",
    )
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong this time, for a person to read.")
    instance: str = Field(description="The path of the request that failed.")


class InvalidField(BaseModel):
    loc: list[str | int] = Field(
        description="Where: 'body', 'query', 'path' or 'header', then the field."
    )
    msg: str
    type: str


class ValidationProblem(Problem):
    """A 422: the request was understood but some fields are invalid."""

    errors: list[InvalidField] = Field(
        description="The invalid fields, at most 20 of them, in the order they were found."
    )
    errors_omitted: int = Field(
        default=0,
        ge=0,
        description="How many more errors there were than `errors` lists; absent when none.",
    )


def problem_type(name: str) -> str:
    """`EmailAlreadyRegisteredError` -> `/problems/email-already-registered`."""
    words = re.sub(r"(?<!^)(?=[A-Z])", "-", name.removesuffix("Error")).lower()
    return f"/problems/{words}"


# RFC 9110's names; Python before 3.13 still has the older ones.
_TITLES: Final = {413: "Content Too Large", 422: "Unprocessable Content"}


def problem_title(status: int) -> str:
    return _TITLES.get(status, HTTPStatus(status).phrase)


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    type_: str = ABOUT_BLANK,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    body = {
        "type": type_,
        "title": problem_title(status),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **(extensions or {}),
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)
