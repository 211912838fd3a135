"""The rules a post's fields obey."""

from typing import Final

from domain.posts.errors import InvalidPostError

TITLE_MAX_LENGTH: Final = 200
MODERATION_REASON_MAX_LENGTH: Final = 500
CONTENT_MAX_LENGTH: Final = 100_000


def storable_text(text: str) -> bool:
    """Whether a text can be stored as it is: no NUL characters and valid Unicode.

    PostgreSQL refuses NUL in text, and a lone surrogate (which JSON can
    carry) cannot be encoded as UTF-8; both are refused as input instead.
    """
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def validate_title(title: str) -> str:
    if not storable_text(title):
        raise InvalidPostError("Title must not contain NUL characters or invalid Unicode")
    if not title.strip():
        raise InvalidPostError("Title must not be blank")
    if len(title) > TITLE_MAX_LENGTH:
        raise InvalidPostError(f"Title must be at most {TITLE_MAX_LENGTH} characters")
    return title


def validate_content(content: str) -> str:
    if not storable_text(content):
        raise InvalidPostError("Content must not contain NUL characters or invalid Unicode")
    if not 1 <= len(content) <= CONTENT_MAX_LENGTH:
        raise InvalidPostError(f"Content must be 1 to {CONTENT_MAX_LENGTH} characters")
    return content
