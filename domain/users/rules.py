"""The rules an account's fields obey, enforced wherever a user is made.

The HTTP layer checks the same limits earlier to give field-level messages,
but these functions are the authority: the command line and any other entry
point go through them too.
"""

import re
from typing import Final

from domain.users.errors import InvalidEmailError, InvalidPasswordError, InvalidUsernameError

USERNAME_MIN_LENGTH: Final = 3
USERNAME_MAX_LENGTH: Final = 32
# ASCII only on purpose: look-alike letters from other scripts would let two
# accounts read the same on screen while being different to the database.
USERNAME_PATTERN: Final = rf"^[A-Za-z0-9_.\-]{{{USERNAME_MIN_LENGTH},{USERNAME_MAX_LENGTH}}}$"
_USERNAME_RE: Final = re.compile(USERNAME_PATTERN)

PASSWORD_MIN_LENGTH: Final = 8
PASSWORD_MAX_LENGTH: Final = 128

EMAIL_MAX_LENGTH: Final = 254
_EMAIL_LOCAL_MAX_LENGTH: Final = 64


def normalize_email(raw: str) -> str:
    """Return the address in the one form the service stores and compares.

    The whole address is lower-cased: mailbox providers treat the local part
    case-insensitively in practice, and two accounts that differ only in case
    would be a support problem.
    """
    email = raw.strip().lower()
    local, at, domain = email.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain.strip(".")
        or len(email) > EMAIL_MAX_LENGTH
        or len(local) > _EMAIL_LOCAL_MAX_LENGTH
        or any(ch.isspace() or not ch.isprintable() for ch in email)
    ):
        raise InvalidEmailError("Email is not a valid address")
    return email


def validate_username(raw: str) -> str:
    if not _USERNAME_RE.fullmatch(raw):
        raise InvalidUsernameError(
            f"Username must be {USERNAME_MIN_LENGTH} to {USERNAME_MAX_LENGTH} characters "
            "of letters, digits, '_', '.' or '-'"
        )
    return raw


def validate_password(raw: str) -> str:
    if not PASSWORD_MIN_LENGTH <= len(raw) <= PASSWORD_MAX_LENGTH:
        raise InvalidPasswordError(
            f"Password must be {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters"
        )
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidPasswordError("Password must be valid Unicode") from None
    return raw
