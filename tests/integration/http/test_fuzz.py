"""Property-based fuzzing of every operation against the app's own OpenAPI document.

schemathesis reads the document the app serves at /openapi.json and, for each
operation, sends requests that fit it (positive mode) and requests that break
it (negative mode: wrong types, out-of-range integers, NUL characters, bodies
that are not UTF-8...). Each response must conform to the document: no 5xx,
a documented status, content type, headers and body, and invalid input
refused with a 4xx.

It runs in-process over ASGI on both adapters. PostgreSQL is the one that
matters most: the in-memory adapter happily stores a NUL character or compares
an integer past 2**63, where PostgreSQL refuses them, so only it shows whether
such input is stopped at the edge instead of surfacing as a 5xx.

The run is bounded and reproducible: a fixed number of generated examples per
operation and a fixed seed, so a failure in CI fails the same way locally.
"""

from collections.abc import Callable, Iterator
from http import HTTPStatus
from itertools import count
from typing import Any, Final

import pytest
import schemathesis
from dependency_injector import providers
from fastapi import FastAPI
from schemathesis import CheckFunction
from schemathesis.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.python import asgi

from infrastructure.container import Container
from infrastructure.persistence import migrator
from infrastructure.settings import Settings
from interfaces.http.app import create_app
from tests.conftest import in_thread, make_settings
from tests.support.accounts import PASSWORD

SEED: Final = 20250531
"""Fixed, so that CI and a developer's machine send the same requests."""

MAX_EXAMPLES: Final = 50
"""Generated examples per operation, on top of schemathesis' boundary-value cases.

Both adapters together, about 1,000 requests each, take some 15 seconds on two cores.
"""

NEGATIVE_DATA_STATUSES: Final = [
    *("400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429", "5xx"),
    # A body over the 1 MiB limit is refused as such before it is read; the
    # fuzzer reaches it with a post whose content is far over its maximum.
    "413",
]
"""How invalid input may be refused: schemathesis' defaults, plus 413.

"5xx" is among them so that a server error is reported once, by
not_a_server_error, rather than twice.
"""

CONFIG: Final = {
    "seed": SEED,
    "generation": {
        "mode": "all",  # positive and negative
        "max-examples": MAX_EXAMPLES,
        # No example database: a run replays nothing from an earlier one, and
        # writes no failing examples into the working tree.
        "database": "none",
    },
    "checks": {"negative_data_rejection": {"expected-statuses": NEGATIVE_DATA_STATUSES}},
}
"""What a `schemathesis.toml` would hold; kept here, next to the test it configures."""

CHECKS: Final[list[CheckFunction]] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    # Invalid input must be refused with a 4xx (a 5xx is not_a_server_error's).
    negative_data_rejection,
    # A locked operation that succeeds with our token must refuse no token and a bad one.
    ignored_auth,
    # RFC 9110: a 405 lists every method the path supports, as the document does.
    allow_header_conformance,
]
"""What every response is held to; chosen here rather than left to the library's defaults.

Two of schemathesis' checks are left out on purpose:

- positive_data_acceptance expects a 2xx for any input the document allows,
  but the document cannot express every rule: an opaque pagination cursor,
  a title that is only spaces, an email address whose domain cannot exist.
  Such input is rightly refused with a 422.
- unsupported_method expects a 405 for a method a path does not document,
  but `PATCH /users/me` is also `PATCH /users/{user_id}` with an id that is
  not a number, and its 415 or 422 says so.
"""

DELETE_ACCOUNT: Final = "DELETE /users/{user_id}"


def _load_schema() -> schemathesis.BaseSchema:
    """The document exactly as the app serves it, configured for a bounded run.

    `app.openapi()` is what /openapi.json returns; reading it directly loads
    the same document without sending a request at import time. The requests
    themselves go to each test's own app (see `FuzzTarget`).
    """
    app = create_app(Container(settings=providers.Object(make_settings())))
    return schemathesis.openapi.from_dict(
        app.openapi(), config=schemathesis.Config.from_dict(CONFIG)
    )


schema = _load_schema()


class FuzzTarget:
    """An app under fuzzing, and the account its locked operations are called as.

    The account and its token are made once for the run, through the app
    itself, so that PATCH and DELETE can succeed on resources that exist
    rather than only ever answer 401 or 404.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.headers: dict[str, str] = {}
        self._numbers = count(1)

    def prepare(self) -> None:
        """Sign up the caller, and a bystander whose account and post the caller may not touch."""
        self.sign_up()
        self._publish(self.headers)
        self._publish(self._register_and_log_in())

    def sign_up(self) -> None:
        """Become a new account: needed again after the fuzzer deletes the current one."""
        self.headers = self._register_and_log_in()

    def _register_and_log_in(self) -> dict[str, str]:
        # Through schemathesis' own transport: on PostgreSQL, every request
        # must run on the event loop that holds the pool's connections.
        name = f"fuzzer{next(self._numbers)}"
        created = (
            schema["/users/"]["POST"]
            .Case(
                body={"email": f"{name}@example.com", "username": name, "password": PASSWORD},
                media_type="application/json",
            )
            .call(app=self.app)
        )
        assert created.status_code == HTTPStatus.CREATED, created.text
        token = (
            schema["/auth/token"]["POST"]
            .Case(
                body={"username": name, "password": PASSWORD},
                media_type="application/x-www-form-urlencoded",
            )
            .call(app=self.app)
        )
        assert token.status_code == HTTPStatus.OK, token.text
        return {"Authorization": f"Bearer {token.json()['access_token']}"}

    def _publish(self, headers: dict[str, str]) -> None:
        published = (
            schema["/posts/"]["POST"]
            .Case(
                body={"title": "Seed", "content": "Something for PATCH and DELETE to find."},
                media_type="application/json",
                headers=headers,
            )
            .call(app=self.app)
        )
        assert published.status_code == HTTPStatus.CREATED, published.text


def _settings(request: pytest.FixtureRequest) -> Settings:
    if request.param == "memory":
        return make_settings()
    # A database of its own: the fuzzer commits hundreds of rows over the
    # whole module, which the per-test truncation of `pg_databases` would not
    # see through, and other tests expect to start from empty tables.
    create_database: Callable[[], str] = request.getfixturevalue("create_database")
    url = create_database()
    in_thread(migrator.upgrade, url)
    # One connection, opened by the first request: psycopg_pool draws on `random` (the
    # jitter of a connection's lifetime) as it opens each, and Hypothesis refuses a
    # test in which `random` moves while it generates a case, as connections still
    # opening in the background would make it.
    return make_settings(repository="postgres", database_url=url, db_pool_size=1)


@pytest.fixture(
    scope="module",
    params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def target(request: pytest.FixtureRequest) -> Iterator[FuzzTarget]:
    """One app per adapter, shared by all the operations' tests.

    The pool is not the run's shared one: schemathesis calls the app on an
    event loop of its own, and an asyncio pool's connections belong to the
    loop that opened them. The app's lifespan opens its pool on that loop.
    """
    fuzzed = FuzzTarget(create_app(Container(settings=providers.Object(_settings(request)))))
    fuzzed.prepare()
    yield fuzzed
    # Runs the apps' lifespan shutdown, which closes the pool on the
    # loop its connections belong to; schemathesis would otherwise keep the
    # app started until the interpreter exits.
    asgi.shutdown_lifespans()


@schema.parametrize()
def test_api(case: schemathesis.Case[Any], target: FuzzTarget) -> None:
    """Every generated request gets an answer that conforms to the OpenAPI document.

    The token goes with every request, public ones included: the locked
    operations are the ones most worth reaching, and a public one ignores it.
    """
    response = case.call_and_validate(app=target.app, headers=target.headers, checks=CHECKS)
    if case.operation.label == DELETE_ACCOUNT and response.status_code == HTTPStatus.NO_CONTENT:
        # The fuzzer guessed the caller's own id: it is gone, and its token
        # with it. Without a new account every later locked request is a 401.
        target.sign_up()
