"""One table from domain error to HTTP status, registered once for the whole app."""

from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from domain.errors import (
    AuthenticationError,
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    StorageError,
    ValidationError,
)

STATUS_BY_ERROR: Final[dict[type[DomainError], int]] = {
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    ValidationError: 422,
    StorageError: 503,
}

# RFC 6750: a 401 names the scheme the client should use.
_HEADERS_BY_STATUS: Final[dict[int, dict[str, str]]] = {401: {"WWW-Authenticate": "Bearer"}}


def error_response(status_code: int, description: str) -> dict[int | str, dict[str, Any]]:
    """An entry of a route's `responses`, documenting an error it can answer with."""
    return {status_code: {"description": description, "content": {"application/json": {}}}}


def status_for(error: DomainError) -> int:
    """Return the status of the nearest class of `error` that the table names."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


async def _domain_error_handler(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)  # noqa: S101 - registered for DomainError only
    status = status_for(error)
    return JSONResponse(
        {"detail": error.message}, status_code=status, headers=_HEADERS_BY_STATUS.get(status)
    )


async def _request_validation_handler(request: Request, error: Exception) -> JSONResponse:
    """One entry per invalid field: where, what, and the kind of error.

    FastAPI's default handler also echoes each rejected value back, which
    would repeat a rejected password to the client, and fails on values
    that cannot be encoded again, such as a lone surrogate.
    """
    assert isinstance(error, RequestValidationError)  # noqa: S101 - registered for it only
    problems = [
        {"loc": list(problem["loc"]), "msg": str(problem["msg"]), "type": str(problem["type"])}
        for problem in error.errors()
    ]
    return JSONResponse({"detail": problems}, status_code=422)


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error_handler)
    app.add_exception_handler(RequestValidationError, _request_validation_handler)
