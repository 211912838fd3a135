"""The inputs of the user use cases, free of any transport format."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterUser:
    email: str
    username: str
    password: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateUser:
    """The fields to change; None leaves a field as it is.

    `current_password` proves that the caller knows the password, not only
    a token: a change of the email or the password needs it.
    """

    email: str | None = None
    username: str | None = None
    password: str | None = None
    current_password: str | None = None

    @property
    def changes_credentials(self) -> bool:
        """Whether it changes what gives access to the account (the password, or the email
        that can reset it)."""
        return self.email is not None or self.password is not None

    @property
    def changes_nothing(self) -> bool:
        return self.email is None and self.username is None and self.password is None
