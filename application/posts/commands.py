"""The inputs of the post use cases."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishPost:
    title: str
    content: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EditPost:
    """The fields to change; None leaves a field as it is."""

    title: str | None = None
    content: str | None = None
