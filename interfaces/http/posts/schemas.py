"""The JSON shapes of /posts."""

from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.posts import AuthoredPost
from domain.posts.rules import (
    CONTENT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    validate_content,
    validate_title,
)
from interfaces.http.params import domain_rule

Title = Annotated[
    str,
    Field(min_length=1, max_length=TITLE_MAX_LENGTH, examples=["Notes on the engine"]),
    domain_rule(validate_title),
]
Content = Annotated[
    str,
    Field(min_length=1, max_length=CONTENT_MAX_LENGTH, examples=["It weaves algebraic patterns."]),
    domain_rule(validate_content),
]


class PostCreate(BaseModel):
    """A new post. The author is the caller: an `author_id` or `id` here is refused."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    content: Content


class PostUpdate(BaseModel):
    """The fields to change; those left out stay as they are. None may be null."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    content: Content | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        nulls = sorted(name for name in self.model_fields_set if getattr(self, name) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null; leave a field out to keep it")
        return self


class AuthorRead(BaseModel):
    id: int
    username: str


class PostRead(BaseModel):
    """A post with its author embedded, as every post endpoint returns it."""

    id: int
    title: str
    content: str
    author_id: int
    created_at: datetime
    updated_at: datetime
    author: AuthorRead

    @classmethod
    def of(cls, authored: AuthoredPost) -> "PostRead":
        post, author = authored.post, authored.author
        return cls(
            id=post.id,
            title=post.title,
            content=post.content,
            author_id=post.author_id,
            created_at=post.created_at,
            updated_at=post.updated_at,
            author=AuthorRead(id=author.id, username=author.username),
        )
