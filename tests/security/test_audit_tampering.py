"""Covering one's tracks: changing or deleting what the audit trail recorded.

The trail is written in the transaction of each change, and PostgreSQL
itself refuses to update or delete its rows (a trigger), whichever role or
code path connects: a compromised service account can add lies, but not
take back what was recorded.
"""

import psycopg
import pytest

from tests.support.accounts import login, sign_up
from tests.support.admins import make_admin
from tests.support.apps import Adapter, Build, adapter_of


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def adapter(request: pytest.FixtureRequest) -> Adapter:
    """PostgreSQL only: the in-memory adapter offers no way to change a recorded event."""
    return adapter_of(request)


async def test_the_audit_trail_cannot_be_rewritten_or_erased(build: Build) -> None:
    app = build()
    admin = await make_admin(app.client, app.container)
    victim = await sign_up(app.client)
    await login(app.client, victim.username, "a guess")
    before = (await app.client.get("/admin/audit", headers=admin.headers)).json()

    async with app.container.databases().primary.pool.connection() as connection:
        for statement in (
            "UPDATE audit_events SET detail = 'nothing happened'",
            "DELETE FROM audit_events WHERE kind = 'login-failed'",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                await connection.execute(statement)

    after = (await app.client.get("/admin/audit", headers=admin.headers)).json()
    assert after == before
    assert "login-failed" in {event["kind"] for event in after}
