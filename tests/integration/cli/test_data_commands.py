"""The data commands, `seed`, `create-user`, `purge-idempotency-keys` and `purge-expired`,
and how every command reports a failure."""

import subprocess
import unicodedata
from collections.abc import Callable

import psycopg
import pytest

from domain.users.rules import normalize_email, validate_username
from infrastructure.persistence import migrator
from infrastructure.security.passwords import Argon2PasswordHasher
from infrastructure.seeding import SEED_PASSWORD
from tests.conftest import in_thread, libpq_url
from tests.support.cli import CLI
from tests.support.live_server import command_environment
from tests.support.paths import PROJECT_ROOT

UNREACHABLE = "postgresql://nobody@127.0.0.1:9/nothing"


def _cli(
    *args: str, database_url: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        cwd=PROJECT_ROOT,
        env=command_environment(DATABASE_URL=libpq_url(database_url)),
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _count(url: str, table: str) -> int:
    with psycopg.connect(libpq_url(url)) as connection:
        row = connection.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
    assert row is not None
    return int(row[0])


@pytest.fixture
def migrated_database(create_database: Callable[[], str]) -> str:
    url = create_database()
    in_thread(migrator.upgrade, url)
    return url


@pytest.mark.postgres
def test_seeding_twice_adds_valid_users_and_posts(migrated_database: str) -> None:
    first = _cli(
        "seed",
        "--users",
        "30",
        "--posts",
        "120",
        "--batch-size",
        "25",
        database_url=migrated_database,
    )
    second = _cli("seed", "--users", "30", "--posts", "120", database_url=migrated_database)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "Added 30 users and 120 posts" in second.stdout
    assert (_count(migrated_database, "users"), _count(migrated_database, "posts")) == (60, 240)
    with psycopg.connect(libpq_url(migrated_database)) as connection:
        users = connection.execute("SELECT email, username FROM users").fetchall()
        spread = connection.execute(
            "SELECT max(created_at) - min(created_at) > interval '30 days', "
            "count(DISTINCT author_id) > 1 FROM posts"
        ).fetchone()
    for email, username in users:
        assert normalize_email(email) == email
        assert validate_username(username) == username
    assert spread == (True, True), "posts spread over time and over authors"


@pytest.mark.postgres
async def test_seeded_users_log_in_with_the_documented_password(migrated_database: str) -> None:
    assert (
        _cli("seed", "--users", "2", "--posts", "0", database_url=migrated_database).returncode == 0
    )
    with psycopg.connect(libpq_url(migrated_database)) as connection:
        row = connection.execute("SELECT password_hash FROM users LIMIT 1").fetchone()
    assert row is not None

    hasher = Argon2PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    assert await hasher.verify(SEED_PASSWORD, row[0])


@pytest.mark.postgres
def test_posts_without_any_user_are_refused_in_one_line(migrated_database: str) -> None:
    result = _cli("seed", "--users", "0", "--posts", "5", database_url=migrated_database)

    assert result.returncode == 1
    assert (
        result.stderr.strip() == "Error: there are no users to write the posts; seed some users too"
    )


@pytest.mark.postgres
def test_create_user_registers_through_the_use_case(migrated_database: str) -> None:
    created = _cli(
        "create-user",
        "--email",
        "Ops@Example.com",
        "--username",
        "ops",
        database_url=migrated_database,
        stdin="a-good-password\na-good-password\n",
    )
    again = _cli(
        "create-user",
        "--email",
        "ops@example.com",
        "--username",
        "ops2",
        "--password",
        "a-good-password",
        database_url=migrated_database,
    )
    weak = _cli(
        "create-user",
        "--email",
        "w@example.com",
        "--username",
        "weak",
        "--password",
        "short",
        database_url=migrated_database,
    )

    assert created.returncode == 0, created.stderr
    assert "Created user 1: ops <ops@example.com>" in created.stdout
    assert "a-good-password" not in created.stdout
    assert (again.returncode, again.stderr.strip()) == (1, "Error: Email already registered")
    assert (weak.returncode, weak.stderr.strip()) == (
        1,
        "Error: Password must be 8 to 128 characters",
    )


@pytest.mark.postgres
def test_admins_are_made_and_unmade_from_the_command_line_but_never_none_left(
    migrated_database: str,
) -> None:
    def account(name: str, *flags: str) -> subprocess.CompletedProcess[str]:
        return _cli(
            "create-user",
            "--email",
            f"{name}@example.com",
            "--username",
            name,
            "--password",
            "a-good-password",
            *flags,
            database_url=migrated_database,
        )

    root, ada = account("root", "--admin"), account("ada")
    granted = _cli("grant-admin", "ADA", database_url=migrated_database)
    demoted = _cli("revoke-admin", "root", database_url=migrated_database)
    last = _cli("revoke-admin", "ada", database_url=migrated_database)
    unknown = _cli("grant-admin", "nobody", database_url=migrated_database)

    assert root.stdout.strip() == "Created user 1: root <root@example.com> (admin)"
    assert ada.stdout.strip() == "Created user 2: ada <ada@example.com>"
    assert (granted.returncode, granted.stdout.strip()) == (0, "ada is an admin")
    assert (demoted.returncode, demoted.stdout.strip()) == (0, "root is a member")
    assert (last.returncode, last.stderr.strip()) == (
        1,
        "Error: This is the last active admin: grant another account the admin role "
        "before demoting or deactivating it",
    )
    assert (unknown.returncode, unknown.stderr.strip()) == (1, "Error: User not found")
    with psycopg.connect(libpq_url(migrated_database)) as connection:
        roles = connection.execute("SELECT username, role FROM users ORDER BY id").fetchall()
    assert roles == [("root", "member"), ("ada", "admin")]


@pytest.mark.postgres
def test_create_user_normalises_the_email_as_registering_and_logging_in_do(
    migrated_database: str,
) -> None:
    """NFD, capitals and a punycode domain: stored in the one form the API stores and finds."""
    typed = unicodedata.normalize("NFD", "ZOË@XN--BCHER-KVA.EXAMPLE")

    created = _cli(
        "create-user",
        "--email",
        typed,
        "--username",
        "zoe",
        "--password",
        "a-good-password",
        database_url=migrated_database,
    )

    assert created.returncode == 0, created.stderr
    assert "zoe <zoë@bücher.example>" in created.stdout
    assert normalize_email(typed) == "zoë@bücher.example"


@pytest.mark.postgres
def test_purging_deletes_the_expired_idempotency_keys_only(migrated_database: str) -> None:
    with psycopg.connect(libpq_url(migrated_database)) as connection:
        account = connection.execute(
            "INSERT INTO users (email, username, password_hash) "
            "VALUES ('purge@example.com', 'purge', 'x') RETURNING id"
        ).fetchone()
        assert account is not None
        connection.execute(
            "INSERT INTO idempotency_keys (scope, key, fingerprint, status, headers, body, "
            "expires_at, user_id) VALUES "
            "('registration:a', 'old', 'f', 201, '[]', '', now() - interval '1 hour', %(id)s), "
            "('registration:b', 'older', 'f', 201, '[]', '', now() - interval '1 day', %(id)s), "
            "('registration:a', 'live', 'f', 201, '[]', '', now() + interval '1 hour', %(id)s)",
            {"id": account[0]},
        )

    first = _cli("purge-idempotency-keys", database_url=migrated_database)
    second = _cli("purge-idempotency-keys", database_url=migrated_database)

    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "Deleted 2 expired idempotency keys"
    assert second.stdout.strip() == "Deleted 0 expired idempotency keys"
    with psycopg.connect(libpq_url(migrated_database)) as connection:
        keys = connection.execute("SELECT key FROM idempotency_keys").fetchall()
    assert keys == [("live",)]


@pytest.mark.postgres
def test_purge_expired_deletes_ended_sessions_keys_mail_tokens_and_old_mail(
    migrated_database: str,
) -> None:
    with psycopg.connect(libpq_url(migrated_database)) as connection:
        account = connection.execute(
            "INSERT INTO users (email, username, password_hash) "
            "VALUES ('ended@example.com', 'ended', 'x') RETURNING id"
        ).fetchone()
        assert account is not None
        connection.execute(
            "INSERT INTO sessions (id, user_id, expires_at, user_agent, client_network, "
            "revoked_at, revoked_reason) VALUES "
            "(gen_random_uuid(), %(id)s, now() + interval '1 day', '', '', NULL, NULL), "
            "(gen_random_uuid(), %(id)s, now() - interval '1 second', '', '', NULL, NULL), "
            "(gen_random_uuid(), %(id)s, now() + interval '1 day', '', '', now(), 'logout')",
            {"id": account[0]},
        )
        connection.execute(
            "INSERT INTO refresh_tokens (digest, session_id) "
            "SELECT sha256(id::text::bytea), id FROM sessions"
        )
        connection.execute(
            "INSERT INTO idempotency_keys (scope, key, fingerprint, status, headers, body, "
            "expires_at, user_id) VALUES "
            "('registration:a', 'old', 'f', 201, '[]', '', now() - interval '1 hour', %(id)s)",
            {"id": account[0]},
        )
        connection.execute(
            "INSERT INTO mail_tokens (id, digest, user_id, purpose, email, expires_at, used_at) "
            "SELECT gen_random_uuid(), digest::bytea, %(id)s, purpose, 'e@x.org', "
            "now() + lasts::interval, used FROM (VALUES "
            "('live', 'verify-email', '1 hour', NULL::timestamptz), "
            "('used', 'verify-email', '1 hour', now()), "
            "('old', 'reset-password', '-1 second', NULL)) AS t(digest, purpose, lasts, used)",
            {"id": account[0]},
        )
        connection.execute(
            "INSERT INTO outbox (id, user_id, kind, recipient, username, sent_at, failed_at) "
            "VALUES "
            "(gen_random_uuid(), %(id)s, 'verify-email', 'e@x.org', 'e', NULL, NULL), "
            "(gen_random_uuid(), %(id)s, 'verify-email', 'e@x.org', 'e', now(), NULL), "
            "(gen_random_uuid(), %(id)s, 'verify-email', 'e@x.org', 'e',"
            " now() - '8 days'::interval, NULL),"
            "(gen_random_uuid(), %(id)s, 'verify-email', 'e@x.org', 'e', NULL,"
            " now() - '8 days'::interval)",
            {"id": account[0]},
        )

    purged = _cli("purge-expired", database_url=migrated_database)

    assert purged.returncode == 0, purged.stderr
    assert purged.stdout.strip() == (
        "Deleted 1 expired idempotency keys, 2 ended sessions, 2 ended mail tokens "
        "and 2 mails sent a week ago or more"
    )
    with psycopg.connect(libpq_url(migrated_database)) as connection:
        left = connection.execute(
            "SELECT count(*), count(revoked_at), min(expires_at) > now() FROM sessions"
        ).fetchone()
        tokens = connection.execute("SELECT count(*) FROM refresh_tokens").fetchone()
        mail_tokens = connection.execute("SELECT digest FROM mail_tokens").fetchall()
        mails = connection.execute("SELECT count(*), count(sent_at) FROM outbox").fetchone()
    assert left == (1, 0, True)
    assert tokens == (1,)
    assert mail_tokens == [(b"live",)]
    assert mails == (2, 1)


@pytest.mark.parametrize(
    "args",
    [
        ["seed", "--users", "1", "--posts", "1"],
        ["migrate"],
        [
            "create-user",
            "--email",
            "a@example.com",
            "--username",
            "abc",
            "--password",
            "long-enough",
        ],
        ["purge-idempotency-keys"],
        ["purge-expired"],
        ["send-mail"],
        ["grant-admin", "someone"],
    ],
    ids=[
        "seed",
        "migrate",
        "create-user",
        "purge-idempotency-keys",
        "purge-expired",
        "send-mail",
        "grant-admin",
    ],
)
def test_an_unreachable_server_is_one_line_and_exit_code_3(args: list[str]) -> None:
    result = _cli(*args, database_url=UNREACHABLE)

    assert result.returncode == 3, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: cannot reach the database: connection failed")
    assert "Traceback" not in result.stderr


@pytest.mark.postgres
@pytest.mark.parametrize("command", ["seed", "create-user"])
def test_a_database_behind_on_migrations_is_one_line_and_exit_code_4(
    create_database: Callable[[], str], command: str
) -> None:
    args = {
        "seed": ["--users", "1"],
        "create-user": [
            "--email",
            "a@example.com",
            "--username",
            "abc",
            "--password",
            "long-enough",
        ],
    }
    result = _cli(command, *args[command], database_url=create_database())

    assert result.returncode == 4, result.stderr
    assert result.stderr.strip() == (
        f"Error: the database schema is at revision none (empty database) but this code needs "
        f"{migrator.head_revision()}: run `python -m interfaces migrate`"
    )


def test_a_malformed_database_url_is_exit_code_2() -> None:
    result = _cli("migrate", database_url="mysql://someone@db/app")

    assert result.returncode == 2
    assert "DATABASE_URL: must be a PostgreSQL URL" in result.stderr


def test_every_command_has_help() -> None:
    for command in (
        "serve",
        "migrate",
        "revision",
        "seed",
        "create-user",
        "purge-idempotency-keys",
    ):
        result = subprocess.run(
            [*CLI, command, "--help"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert result.returncode == 0, command
        assert "Usage" in result.stdout, command
