"""An example problem for each error status of each operation, as the service writes it.

The OpenAPI document shows one example per documented error. A single model
example (a 404 "User not found") used to stand for every status of every
operation; these are built from the errors each operation really raises, with
the path it would be raised at, so `/docs` shows a 403 of `PATCH /posts/{post_id}`
as "Not the author of this post" at `/posts/42`. tests/integration/http/test_openapi.py
checks a sample of them against the answers of the running app.
"""

import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, Final

from application.auth import (
    InvalidCredentialsError,
    InvalidRefreshTokenError,
    UnsupportedGrantTypeError,
)
from application.ratelimit import Limit
from domain.errors import DomainError, StorageUnavailableError, VersionMismatchError
from domain.idempotency import IdempotencyKeyInUseError
from domain.posts import NotPostAuthorError, PostNotFoundError
from domain.sessions import SessionNotFoundError
from domain.users import (
    AdminOnlyError,
    EmailAlreadyRegisteredError,
    LastAdminError,
    NotAccountOwnerError,
    UserNotFoundError,
    WrongCurrentPasswordError,
)
from interfaces.http.auth.form import FORM_FIELDS, FORM_MEDIA_TYPES, not_a_form
from interfaces.http.errors import DETAIL_BY_STATUS, rate_limited_detail
from interfaces.http.middleware import MAX_BODY_BYTES
from interfaces.http.problems import ABOUT_BLANK, problem_title, problem_type
from interfaces.http.security import REFRESH_PATH, TOKEN_PATH

SAMPLE_ID: Final = 42
_PATH_PARAMETER: Final = re.compile(r"\{[^}]+\}")
_RETRY_AFTER_SECONDS: Final = 60
_NOT_JSON: Final = "The request body must be JSON, sent as application/json"
_MALFORMED_IF_MATCH: Final = (
    'If-Match must be "*" or a list of entity tags such as "3" or W/"3", '
    "as the ETag header gives them"
)
_MALFORMED_IF_NONE_MATCH: Final = _MALFORMED_IF_MATCH.replace("If-Match", "If-None-Match", 1)
_NOT_AUTHENTICATED: Final = "Not authenticated"
_CONNECTIONS: Final = 1024
"""MAX_CONCURRENT_CONNECTIONS' default."""


Cause = tuple[str, str]
"""A problem's type and detail."""


def _domain(error: DomainError) -> Cause:
    return problem_type(type(error).__name__), error.message


def _bad_request(method: str, path: str) -> Cause:
    if path == REFRESH_PATH:
        return _domain(UnsupportedGrantTypeError("refresh_token"))
    return ABOUT_BLANK, _MALFORMED_IF_NONE_MATCH if method == "get" else _MALFORMED_IF_MATCH


def _unauthorized(method: str, path: str) -> Cause:
    if path == TOKEN_PATH:
        return _domain(InvalidCredentialsError())
    if path == REFRESH_PATH:
        return _domain(InvalidRefreshTokenError())
    return ABOUT_BLANK, _NOT_AUTHENTICATED


def _forbidden(method: str, path: str) -> Cause:
    if path.startswith("/admin"):
        return _domain(AdminOnlyError())
    if path.startswith("/posts"):
        return _domain(NotPostAuthorError())
    if path == "/users/me":
        return _domain(WrongCurrentPasswordError())
    return _domain(NotAccountOwnerError())


def _rate_limited(method: str, path: str) -> Cause:
    limit = {
        TOKEN_PATH: Limit.LOGIN_FAILURES,
        REFRESH_PATH: Limit.REFRESHES,
        "/users/": Limit.REGISTRATIONS,
    }.get(path, Limit.CREDENTIAL_CHANGES)
    return problem_type("RateLimitExceededError"), rate_limited_detail(limit, _RETRY_AFTER_SECONDS)


def _unavailable(method: str, path: str) -> Cause:
    if path == "/health/ready":
        return "/problems/not-ready", "Not ready: the database did not answer in 2 s"
    if path == "/health/live":
        return ABOUT_BLANK, (
            f"The server is at its limit of {_CONNECTIONS} connections; try again shortly"
        )
    return _domain(StorageUnavailableError())


def _conflict(path: str) -> DomainError:
    if path.startswith("/admin"):
        return LastAdminError()
    if path.startswith("/posts"):
        return IdempotencyKeyInUseError()
    return EmailAlreadyRegisteredError()


def _not_found(path: str) -> DomainError:
    if "{session_id}" in path:
        return SessionNotFoundError()
    if "{post_id}" in path:
        return PostNotFoundError()
    return UserNotFoundError()


_CAUSES: Final[dict[int, Callable[[str, str], Cause]]] = {
    400: _bad_request,
    401: _unauthorized,
    403: _forbidden,
    404: lambda method, path: _domain(_not_found(path)),
    409: lambda method, path: _domain(_conflict(path)),
    412: lambda method, path: _domain(VersionMismatchError()),
    413: lambda method, path: (
        ABOUT_BLANK,
        f"The request body is larger than the limit of {MAX_BODY_BYTES} bytes",
    ),
    415: lambda method, path: (
        ABOUT_BLANK,
        not_a_form(path) if path in FORM_FIELDS else _NOT_JSON,
    ),
    429: _rate_limited,
    503: _unavailable,
}


def _invalid_field(operation: dict[str, Any]) -> tuple[list[str], str, str]:
    """A field this operation refuses with a 422: its location, message and type."""
    body = operation.get("requestBody")
    if body is not None and FORM_MEDIA_TYPES[0] in body["content"]:
        return ["body", "username"], "Field required", "missing"
    if body is not None and body.get("required"):
        return ["body"], "Field required", "missing"
    names = {(parameter["in"], parameter["name"]) for parameter in operation.get("parameters", [])}
    path_ids = sorted(name for place, name in names if place == "path")
    if path_ids:
        return (
            ["path", path_ids[0]],
            "Value error, must be written in decimal digits, with no sign, spaces or leading zero",
            "value_error",
        )
    if ("query", "limit") in names:
        return ["query", "limit"], "Input should be less than or equal to 100", "less_than_equal"
    return ["query", "verbose"], "The parameter is given more than once", "repeated_parameter"


def problem_example(
    status: int, method: str, path: str, operation: dict[str, Any]
) -> dict[str, Any]:
    """The problem `method path` answers with `status`, for the OpenAPI `example`."""
    instance = _PATH_PARAMETER.sub(str(SAMPLE_ID), path)
    if status == HTTPStatus.UNPROCESSABLE_ENTITY:
        loc, msg, kind = _invalid_field(operation)
        extra = {"errors": [{"loc": loc, "msg": msg, "type": kind}]}
        type_, detail = "/problems/invalid-request", f"{'.'.join(loc)}: {msg}"
    elif status in _CAUSES:
        extra = {}
        type_, detail = _CAUSES[status](method, path)
    else:
        extra = {}
        type_, detail = ABOUT_BLANK, DETAIL_BY_STATUS.get(status, HTTPStatus(status).phrase)
    return {
        "type": type_,
        "title": problem_title(status),
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }
