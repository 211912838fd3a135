"""Every error becomes a problem: one table for the domain's, handlers for the framework's.

Registered once for the whole app. Domain errors carry no HTTP status; the
table below gives each family of them one. Starlette finds a handler by
walking the exception's classes, so a handler for the base class is enough.
"""

import logging
from http import HTTPStatus
from itertools import islice
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from application.ratelimit import Limit, RateLimitExceededError
from domain.errors import (
    AuthenticationError,
    BusyError,
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    StorageError,
    ValidationError,
)
from interfaces.http.problems import (
    Problem,
    ValidationProblem,
    problem_response,
    problem_type,
)

logger = logging.getLogger(__name__)

STATUS_BY_ERROR: Final[dict[type[DomainError], int]] = {
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    PreconditionFailedError: 412,
    ValidationError: 422,
    StorageError: 503,
    BusyError: 503,
}

RETRY_AFTER_SECONDS: Final = 5

# RFC 6750: a 401 names the scheme to use. RFC 9110: a 503 says when to retry.
_HEADERS_BY_STATUS: Final[dict[int, dict[str, str]]] = {
    401: {"WWW-Authenticate": "Bearer"},
    503: {"Retry-After": str(RETRY_AFTER_SECONDS)},
}

DETAIL_BY_STATUS: Final[dict[int, str]] = {
    404: "Nothing is served at this path",
    500: "The server failed to handle this request; the failure has been logged",
}


def status_for(error: DomainError) -> int:
    """Return the status of the nearest class of `error` that the table names."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)  # noqa: S101 - registered for DomainError only
    status = status_for(error)
    # Every 422 has the same shape; a rule of the domain names no single field.
    extensions = (
        {"errors": [{"loc": [], "msg": error.message, "type": "domain_rule"}]}
        if status == HTTPStatus.UNPROCESSABLE_ENTITY
        else None
    )
    return problem_response(
        request,
        status,
        error.message,
        type_=problem_type(type(error).__name__),
        headers=_HEADERS_BY_STATUS.get(status),
        extensions=extensions,
    )


_METHODS: Final = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path, found by asking the router about each.

    Starlette's 405 names only the methods of the first route whose path
    matched, and FastAPI makes one route per method; RFC 9110 wants them all.
    """
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    )


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    """Errors raised by the framework itself: unknown paths, wrong methods, missing tokens."""
    assert isinstance(error, HTTPException)  # noqa: S101 - registered for HTTPException only
    if error.status_code == HTTPStatus.BAD_REQUEST and isinstance(error.__cause__, ValueError):
        # FastAPI's answer to a JSON body that is not UTF-8: as malformed as bad JSON.
        return _invalid_body(request)
    status = error.status_code
    detail = error.detail if error.detail != HTTPStatus(status).phrase else ""
    extra_headers = dict(error.headers or {})
    if status == HTTPStatus.METHOD_NOT_ALLOWED:
        extra_headers["Allow"] = _allowed_methods(request)
        detail = f"{request.method} is not allowed here; allowed: {extra_headers['Allow']}"
    headers = {**_HEADERS_BY_STATUS.get(status, {}), **extra_headers}
    return problem_response(
        request,
        status,
        detail or DETAIL_BY_STATUS.get(status, HTTPStatus(status).phrase),
        headers=headers,
    )


MAX_LISTED_ERRORS: Final = 20
"""A 422 lists this many errors and counts the rest: 100,000 unknown fields in a 1 MiB body
would otherwise come back as an answer of megabytes."""


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    """A 422 with one entry per invalid field, up to MAX_LISTED_ERRORS; `errors_omitted`
    counts the others.

    Unlike FastAPI's default it never echoes the rejected value, which could
    be a password, or text that cannot be encoded again (a lone surrogate).
    """
    assert isinstance(error, RequestValidationError)  # noqa: S101 - registered for it only
    found = error.errors()
    errors = [
        {"loc": list(problem["loc"]), "msg": str(problem["msg"]), "type": str(problem["type"])}
        for problem in islice(found, MAX_LISTED_ERRORS)
    ]
    first = errors[0] if errors else {"loc": [], "msg": "Invalid request"}
    where = ".".join(str(part) for part in first["loc"])
    detail = f"{where}: {first['msg']}" if where else str(first["msg"])
    if len(found) > 1:
        detail += f" (and {len(found) - 1} more)"
    extensions: dict[str, Any] = {"errors": errors}
    if len(found) > len(errors):
        extensions["errors_omitted"] = len(found) - len(errors)
    return problem_response(
        request, 422, detail, type_="/problems/invalid-request", extensions=extensions
    )


def _invalid_body(request: Request) -> JSONResponse:
    message = "The body is not valid JSON in UTF-8"
    return problem_response(
        request,
        422,
        f"body: {message}",
        type_="/problems/invalid-request",
        extensions={"errors": [{"loc": ["body"], "msg": message, "type": "json_invalid"}]},
    )


RATE_LIMITED: Final[dict[Limit, str]] = {
    Limit.LOGIN_ATTEMPTS: "Too many login attempts from this address",
    Limit.LOGIN_FAILURES: "Too many failed logins to this account from this address",
    Limit.REGISTRATIONS: "Too many registrations from this address",
    Limit.CREDENTIAL_CHANGES: "Too many changes of this account's password or email",
    Limit.REFRESHES: "Too many token refreshes from this address",
    Limit.RESET_REQUESTS: "Too many password-reset requests from this address",
    Limit.RESET_MAILS: "Too many password-reset requests for this email",
    Limit.VERIFICATION_MAILS: "Too many verification mails asked for by this account",
}


def rate_limited_detail(limit: Limit, seconds: int) -> str:
    unit = "second" if seconds == 1 else "seconds"
    return f"{RATE_LIMITED[limit]}; try again in {seconds} {unit}"


async def _rate_limited(request: Request, error: Exception) -> JSONResponse:
    """A 429 saying which limit, and when to come back (RFC 6585, RFC 9110 Retry-After)."""
    assert isinstance(error, RateLimitExceededError)  # noqa: S101 - registered for it only
    return problem_response(
        request,
        429,
        rate_limited_detail(error.limit, error.retry_after),
        type_=problem_type(type(error).__name__),
        headers={"Retry-After": str(error.retry_after)},
    )


async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    """A bug: logged with its traceback; the client learns nothing of its inside."""
    logger.exception("unhandled error in %s %s", request.method, request.url.path)
    return problem_response(request, 500, DETAIL_BY_STATUS[500])


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(RateLimitExceededError, _rate_limited)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` entries documenting errors an operation can answer with.

    Their media type becomes application/problem+json, and each gets an
    example of its own, when the OpenAPI document is built (see
    `interfaces.http.openapi`).
    """
    return {
        status: {
            "model": ValidationProblem if status == HTTPStatus.UNPROCESSABLE_ENTITY else Problem,
            "description": HTTPStatus(status).phrase,
            **_HEADER_DOCS.get(status, {}),
        }
        for status in statuses
    }


_HEADER_DOCS: Final[dict[int, dict[str, Any]]] = {
    429: {
        "headers": {
            "Retry-After": {
                "description": "Seconds until the window ends and the limit counts anew.",
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    }
}
