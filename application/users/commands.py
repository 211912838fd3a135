"""The inputs of the user use cases, free of any transport format."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterUser:
    email: str
    username: str
    password: str
