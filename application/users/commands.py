"""The inputs of the user use cases, free of any transport format."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterUser:
    email: str
    username: str
    password: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateUser:
    """The fields to change; None leaves a field as it is."""

    email: str | None = None
    username: str | None = None
    password: str | None = None
