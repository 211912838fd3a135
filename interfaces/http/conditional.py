"""Conditional requests (RFC 9110, section 13): ETags, `If-Match` and `If-None-Match`.

An ETag is a resource's revision (`User.revision`, `AuthoredPost.revision`)
in quotes: strong, as the revision moves with every change a client can see.
Reads answer 304 to an `If-None-Match` that names the current tag, and 412 to
an `If-Match` that does not. Writes turn `If-Match` into a Precondition that
the use case checks in the same transaction as its write; without the header
they are unconditional, as they always were.

Preconditions are evaluated after authentication, the ownership check and
the 404: RFC 9110 (13.2.1) has a server ignore them when the request would
fail without them, so a client learns "gone" or "not yours" rather than
"changed".

A header that is not a list of entity tags is a 400: it is malformed syntax,
not content the API could not process (422), and ignoring a malformed
`If-Match` would turn a conditional write into an unconditional one.
"""

from dataclasses import dataclass
from typing import Annotated, Any, Final

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from application.preconditions import Precondition
from domain.errors import VersionMismatchError
from interfaces.http.entity_tags import (
    TAG_LIST_PATTERN,
    EntityTags,
    MalformedTagListError,
    parse_tag_list,
)
from interfaces.http.errors import error_responses
from interfaces.http.responses import json_response


def entity_tag(revision: str) -> str:
    """The strong ETag of a resource at `revision`."""
    return f'"{revision}"'


def tag(response: Response, revision: str) -> None:
    """Send the ETag of the representation this response carries."""
    response.headers["ETag"] = entity_tag(revision)


def parse_entity_tags(request: Request, name: str) -> EntityTags | None:
    """Read the header `name` (all its lines, as one list); None when it is absent."""
    lines = request.headers.getlist(name)
    if not lines:
        return None
    try:
        return parse_tag_list(", ".join(lines))
    except MalformedTagListError:
        raise HTTPException(
            400,
            f'{name} must be "*" or a list of entity tags such as "3" or W/"3", '
            "as the ETag header gives them",
        ) from None


_IF_MATCH_DESCRIPTION: Final = (
    "Go ahead only if the resource still has one of these ETags (strong comparison: a weak "
    "tag never matches), or, with `*`, if it exists; otherwise **412**, and nothing changes. "
    "Without it the request is unconditional."
)
_IF_NONE_MATCH_DESCRIPTION: Final = (
    "Answer **304** with no body if the resource still has one of these ETags (weak "
    "comparison), or, with `*`, if it exists."
)

IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description=_IF_MATCH_DESCRIPTION,
        json_schema_extra={"pattern": TAG_LIST_PATTERN},
    ),
]


async def _write_precondition(
    request: Request, if_match: IfMatchHeader = None
) -> Precondition | None:
    # The parameter documents the header; the parser reads every line of it.
    if if_match is None:
        return None
    tags = parse_entity_tags(request, "If-Match")
    if tags is None:
        return None
    return Precondition(revisions=tags.strong, any_revision=tags.any)


IfMatch = Annotated[Precondition | None, Depends(_write_precondition)]
"""A write's `If-Match`, for its use case to check; None when the header is absent."""


@dataclass(frozen=True, slots=True)
class ReadConditions:
    """A read's `If-Match` and `If-None-Match`, parsed before the read (a malformed one is a 400
    without touching the database)."""

    if_match: EntityTags | None
    if_none_match: EntityTags | None

    def answer(self, revision: str, representation: BaseModel) -> Response:
        """The whole answer to the read: `representation` with its ETag, or the 304 to send
        instead.

        RFC 9110's order (13.2.2): a failed `If-Match` is a 412 (raised); then
        a matching `If-None-Match` makes a 304, which carries the ETag too.
        """
        etag = {"ETag": entity_tag(revision)}
        if self.if_match is not None and not self.if_match.match_strongly(revision):
            raise VersionMismatchError
        if self.if_none_match is not None and self.if_none_match.match_weakly(revision):
            return Response(status_code=304, headers=etag)
        return json_response(representation, headers=etag)


def read_conditions(request: Request) -> ReadConditions:
    """The read's conditions, from every line of each header.

    A function the route calls rather than a dependency: FastAPI solves each
    dependency of a route anew on every request, and the headers are
    documented by `conditional_read` instead.
    """
    return ReadConditions(
        if_match=parse_entity_tags(request, "If-Match"),
        if_none_match=parse_entity_tags(request, "If-None-Match"),
    )


def _header_parameter(name: str, description: str) -> dict[str, Any]:
    """The OpenAPI parameter FastAPI writes for an optional `Header` of this name."""
    return {
        "name": name,
        "in": "header",
        "required": False,
        "schema": {
            "anyOf": [{"type": "string"}, {"type": "null"}],
            "description": description,
            "pattern": TAG_LIST_PATTERN,
            "title": name,
        },
        "description": description,
    }


_ETAG_HEADER: Final = {
    "ETag": {
        "description": "The representation's strong entity tag; send it back in `If-Match` "
        "to change the resource only if nobody else has, or in `If-None-Match` to re-read it "
        "only if it changed.",
        "required": True,
        "schema": {"type": "string"},
    }
}


def tagged(status: int) -> dict[int | str, dict[str, Any]]:
    """Document the ETag that a `status` answer carries with its representation."""
    return {status: {"headers": _ETAG_HEADER}}


def conditional_read(*errors: int) -> dict[str, Any]:
    """The OpenAPI side of a conditional read of one resource, for its route's decorator: the
    two headers `read_conditions` reads, 200 and 304 with their ETag, 400 and 412 for its
    preconditions, and `errors`."""
    not_modified = {"description": "Not Modified: the ETag still matches", "headers": _ETAG_HEADER}
    return {
        "responses": error_responses(400, 412, *errors) | tagged(200) | {304: not_modified},
        "openapi_extra": {
            "parameters": [
                _header_parameter("If-Match", _IF_MATCH_DESCRIPTION),
                _header_parameter("If-None-Match", _IF_NONE_MATCH_DESCRIPTION),
            ]
        },
    }


def write_responses(*errors: int, success: int | None = 200) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a change: its `success` answer with the new ETag (None for one with
    no representation, such as a 204), 400 and 412 for `If-Match`, and `errors`."""
    documented = error_responses(400, 412, *errors)
    return documented if success is None else documented | tagged(success)
