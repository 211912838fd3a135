"""The paging rules every listing shares."""

from typing import Final

from domain.errors import ValidationError

MAX_PAGE_SIZE: Final = 100


def check_page(skip: int, limit: int) -> None:
    if skip < 0:
        raise ValidationError("skip must be 0 or more")
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
