"""`purge-expired` (and `purge-idempotency-keys`): the upkeep a scheduler runs."""

import asyncio
from collections.abc import Awaitable, Callable

import typer

from infrastructure.container import Container, build_container, running
from infrastructure.settings import Settings
from interfaces.cli.app import app, load_settings, one_line_errors


@app.command("purge-expired")
def purge_expired() -> None:
    """Delete what has ended: expired idempotency keys, revoked or expired sessions, used or
    expired mailed tokens, and mail sent (or given up on) more than a week ago.

    All are already ignored once ended; this reclaims their space, and
    deletes the digests of the ended sessions' refresh tokens. Safe to run
    at any time, from cron say.
    """
    keys, sessions, tokens, mails = _run(_purge_all)
    typer.echo(
        f"Deleted {keys:,} expired idempotency keys, {sessions:,} ended sessions, "
        f"{tokens:,} ended mail tokens and {mails:,} mails sent a week ago or more"
    )


@app.command("purge-idempotency-keys")
def purge_idempotency_keys() -> None:
    """Delete the idempotency keys older than IDEMPOTENCY_KEY_TTL_HOURS (see `purge-expired`)."""
    (keys,) = _run(_purge_keys)
    typer.echo(f"Deleted {keys:,} expired idempotency keys")


def _run(purge: Callable[[Container], Awaitable[tuple[int, ...]]]) -> tuple[int, ...]:
    settings = load_settings().model_copy(update={"repository": "postgres"})
    with one_line_errors(), build_container(settings).database_admin().at_head() as url:
        return asyncio.run(_purge(settings.model_copy(update={"database_url": url}), purge))


async def _purge(
    settings: Settings, purge: Callable[[Container], Awaitable[tuple[int, ...]]]
) -> tuple[int, ...]:
    async with running(build_container(settings)) as container:
        return await purge(container)


async def _purge_keys(container: Container) -> tuple[int, ...]:
    keys: int = await container.idempotency_key_service().purge_expired_keys()
    return (keys,)


async def _purge_all(container: Container) -> tuple[int, ...]:
    (keys,) = await _purge_keys(container)
    sessions: int = await container.session_service().purge_ended_sessions()
    tokens, mails = await container.mail_upkeep().purge_ended()
    return keys, sessions, tokens, mails


@app.command("send-mail")
def send_mail() -> None:
    """Deliver the mail that is due now, once, and say how many went.

    Each serving process does this by itself, at once after its own changes
    and every MAIL_POLL_SECONDS; this is for when none runs, or to see
    whether the mail server takes mail (failures are logged and retried as usual).
    """
    (sent,) = _run(_send_due)
    typer.echo(f"Sent {sent:,} mails")


async def _send_due(container: Container) -> tuple[int, ...]:
    sent: int = await container.outbox_sender().send_due()
    return (sent,)
