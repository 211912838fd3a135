"""factory-boy factories for domain objects.

They build entities only (the build strategy) and are bound to no session:
tests persist through the repository under test, so the same factories
serve the in-memory adapter and PostgreSQL.
"""

from datetime import timedelta
from typing import Any

from factory.base import Factory
from factory.declarations import Sequence
from factory.faker import Faker

from application.users import RegisterUser
from domain.idempotency import CreatedResource, NewIdempotencyRecord, StoredResponse
from domain.posts import NewPost
from domain.users import NewUser

# A well-formed argon2id hash; repository tests never verify it.
STORED_HASH = "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$0q5o6Pv8F0lyeZbUGl0JiA"


class NewUserFactory(Factory[NewUser]):
    class Meta:
        model = NewUser

    email = Sequence(lambda n: f"person{n}@example.com")
    username = Sequence(lambda n: f"person_{n}")
    password_hash = STORED_HASH


class RegisterUserFactory(Factory[RegisterUser]):
    class Meta:
        model = RegisterUser

    email = Sequence(lambda n: f"Reader{n}@Example.org")
    username = Sequence(lambda n: f"reader.{n}")
    password = Faker("password", length=16)


class NewPostFactory(Factory[NewPost]):
    class Meta:
        model = NewPost

    title = Faker("sentence", nb_words=6)
    content = Faker("paragraph", nb_sentences=5)
    author_id = 1


class NewIdempotencyRecordFactory(Factory[NewIdempotencyRecord]):
    class Meta:
        model = NewIdempotencyRecord

    scope = Sequence(lambda n: f"user:{n}")
    key = Faker("uuid4")
    fingerprint = Faker("sha256")
    # Bytes that are not UTF-8, and a header that repeats: both must come back as they went.
    response = StoredResponse(
        status=201,
        headers=(("location", "/posts/7"), ("vary", "accept"), ("vary", "origin")),
        body=b'{"id":7}\xff',
    )
    # Tests that store records on PostgreSQL create user 1 first: the foreign key wants it.
    created = CreatedResource("user", 1)
    lifetime = timedelta(hours=24)


def new_user(**overrides: Any) -> NewUser:
    return NewUserFactory.build(**overrides)


def register_user(**overrides: Any) -> RegisterUser:
    return RegisterUserFactory.build(**overrides)


def new_post(**overrides: Any) -> NewPost:
    return NewPostFactory.build(**overrides)


def new_idempotency_record(**overrides: Any) -> NewIdempotencyRecord:
    return NewIdempotencyRecordFactory.build(**overrides)
