"""factory-boy factories that make believable users and posts.

Seeded rows share one run tag in their usernames and emails, so that seeding
twice adds new people instead of failing on the unique indexes.
"""

from factory.base import Factory
from factory.declarations import LazyAttribute, LazyAttributeSequence
from factory.faker import Faker

from domain.posts import NewPost
from domain.users import NewUser
from domain.users.rules import USERNAME_MAX_LENGTH

_USERNAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def seeded_username(name: str, tag: str, n: int) -> str:
    """A Faker user name kept to the allowed characters, made unique by the run tag and `n`."""
    suffix = f"_{tag}{n}"
    kept = "".join(ch for ch in name if ch in _USERNAME_CHARACTERS) or "user"
    return kept[: USERNAME_MAX_LENGTH - len(suffix)] + suffix


class SeedUserFactory(Factory[NewUser]):
    """A user with a plausible name. Pass `tag`; the loader sets one shared password hash."""

    class Meta:
        model = NewUser
        exclude = ("tag", "name")

    tag = "seed"
    name = Faker("user_name")
    username = LazyAttributeSequence(lambda user, n: seeded_username(user.name, user.tag, n))
    email = LazyAttribute(lambda user: f"{user.username.lower()}@example.org")
    password_hash = ""


class SeedPostFactory(Factory[NewPost]):
    """A post of a few sentences. Pass `author_id`."""

    class Meta:
        model = NewPost

    title = Faker("sentence", nb_words=6)
    content = Faker("paragraph", nb_sentences=5)
    author_id = 0
