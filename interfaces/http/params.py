"""Path and query parameters that several routers share."""

from collections.abc import Callable
from typing import Annotated, Final

from fastapi import Query
from pydantic import AfterValidator

from application.pagination import MAX_PAGE_SIZE
from domain.errors import DomainError

MAX_ID: Final = 2**63 - 1
"""Ids are PostgreSQL bigints; anything larger is refused with 422 before it reaches SQL."""

Skip = Annotated[int, Query(ge=0, le=MAX_ID, description="Items to skip.")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Most items to return.")]


def domain_rule(rule: Callable[[str], str]) -> AfterValidator:
    """Run a domain rule as a pydantic validator, so its message lands on the field."""

    def validate(value: str) -> str:
        try:
            return rule(value)
        except DomainError as error:
            raise ValueError(error.message) from None

    return AfterValidator(validate)
