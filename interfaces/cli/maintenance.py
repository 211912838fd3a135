"""`purge-idempotency-keys`: the upkeep a scheduler runs."""

import asyncio

import typer

from infrastructure.container import build_container, running
from infrastructure.settings import Settings
from interfaces.cli.app import app, load_settings, one_line_errors


@app.command("purge-idempotency-keys")
def purge_idempotency_keys() -> None:
    """Delete the idempotency keys older than IDEMPOTENCY_KEY_TTL_HOURS.

    Expired keys are already ignored, and replaced when a key is used again;
    this reclaims their space. Safe to run at any time, from cron say.
    """
    settings = load_settings().model_copy(update={"repository": "postgres"})
    with one_line_errors(), build_container(settings).database_admin().at_head() as url:
        purged = asyncio.run(_purge(settings.model_copy(update={"database_url": url})))
    typer.echo(f"Deleted {purged:,} expired idempotency keys")


async def _purge(settings: Settings) -> int:
    async with running(build_container(settings)) as container:
        purged: int = await container.idempotency_key_service().purge_expired_keys()
        return purged
