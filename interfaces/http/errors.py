"""One table from domain error to HTTP status, registered once for the whole app."""

from typing import Final

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from domain.errors import ConflictError, DomainError, NotFoundError, StorageError, ValidationError

STATUS_BY_ERROR: Final[dict[type[DomainError], int]] = {
    NotFoundError: 404,
    ConflictError: 409,
    ValidationError: 422,
    StorageError: 503,
}


def status_for(error: DomainError) -> int:
    """Return the status of the nearest class of `error` that the table names."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


async def _domain_error_handler(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)  # noqa: S101 - registered for DomainError only
    return JSONResponse({"detail": error.message}, status_code=status_for(error))


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error_handler)
