"""Revision 0006 links the idempotency records already stored to what they created.

They are linked through the Location each stored; those whose account or
post is gone already are deleted, since they hold its data.
"""

from collections.abc import Callable

import psycopg
import pytest

from infrastructure.persistence import migrator
from tests.conftest import in_thread, libpq_url

pytestmark = pytest.mark.postgres

_RECORD = (
    "INSERT INTO idempotency_keys (scope, key, fingerprint, status, headers, body, expires_at) "
    "VALUES (%s, %s, 'f', 201, %s, '', now() + interval '1 hour')"
)


def test_0006_links_the_records_it_can_and_deletes_those_whose_creation_is_gone(
    create_database: Callable[[], str],
) -> None:
    url = create_database()
    in_thread(migrator.upgrade, url, "0005")
    with psycopg.connect(libpq_url(url)) as connection:
        connection.execute(
            "INSERT INTO users (id, email, username, password_hash) "
            "VALUES (7, 'kept@example.com', 'kept', 'x')"
        )
        connection.execute(
            "INSERT INTO posts (id, title, content, author_id) VALUES (9, 't', 'c', 7)"
        )
        for scope, location in [
            ("registration:kept@example.com", "/users/7"),
            ("registration:gone@example.com", "/users/8"),
            ("user:7", "/posts/9"),
            ("user:7", "/posts/10"),
            ("user:6", "/users/7"),
        ]:
            headers = f'[["content-type", "application/json"], ["location", "{location}"]]'
            connection.execute(_RECORD, (scope, location, headers))

    in_thread(migrator.upgrade, url, "0006")

    with psycopg.connect(libpq_url(url)) as connection:
        rows = connection.execute(
            "SELECT scope, user_id, post_id FROM idempotency_keys ORDER BY scope"
        ).fetchall()
        connection.execute("DELETE FROM users WHERE id = 7")
        left = connection.execute("SELECT scope FROM idempotency_keys").fetchall()
    assert rows == [("registration:kept@example.com", 7, None), ("user:7", None, 9)]
    assert left == [], "deleting the user deleted both"
