"""The rules an account's fields obey, enforced wherever a user is made.

The HTTP layer checks the same limits earlier to give field-level messages,
but these functions are the authority: the command line and any other entry
point go through them too.
"""

import re
from typing import Final

from email_validator import EmailNotValidError, validate_email

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
_EMAIL_TYPED_MAX_LENGTH: Final = 4 * EMAIL_MAX_LENGTH


def normalize_email(raw: str) -> str:
    """Return the address in the one form the service stores and compares.

    Every path that takes an email goes through here: registering and
    changing it (HTTP and `create-user`), logging in, and the failed-login
    count's key. One function, so that no two of them can disagree on which
    spellings name the same address, and an address that registered logs in
    however it is typed.

    - email-validator's normalisation (its syntax checks, NFC, the domain by
      IDNA's rules: `BÜCHER.example`, `xn--bcher-kva.example` and
      `bücher.example` are one domain). It lives in the domain because it
      decides what an account's identity is; the library is a plain
      function, not a framework (pydantic, which wraps the same library,
      stays outside).
    - The whole address is lower-cased, before the NFC step so that the
      result is in NFC: mailbox providers treat the local part
      case-insensitively in practice, and two accounts that differ only in
      case would be a support problem.
    - Surrounding blanks are dropped, as a form's are.
    """
    email = raw.strip()
    # Bounded before the library sees it: the login form has no length limit, and a long
    # address costs it time. An equivalent spelling (NFD, punycode) may be longer than the
    # stored form, never by this much.
    if len(email) > _EMAIL_TYPED_MAX_LENGTH:
        raise InvalidEmailError("Email is not a valid address")
    try:
        # strict: a local part of at most 64 characters, as RFC 5321 has it.
        normalized = validate_email(
            email.lower(), check_deliverability=False, strict=True
        ).normalized
    except EmailNotValidError:
        raise InvalidEmailError("Email is not a valid address") from None
    if len(normalized) > EMAIL_MAX_LENGTH:
        raise InvalidEmailError("Email is not a valid address")
    return normalized


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
