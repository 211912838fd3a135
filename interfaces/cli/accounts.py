"""`create-user`: an account from the terminal, through the same use case as the API."""

import asyncio
from typing import Annotated

import typer

from application.users import RegisterUser
from domain.users import User
from infrastructure.container import build_container, running
from infrastructure.settings import Settings
from interfaces.cli.app import app, load_settings, one_line_errors


@app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(help="The account's email.")],
    username: Annotated[str, typer.Option(help="3 to 32 letters, digits, '_', '.' or '-'.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="Asked for when left out: the prompt keeps it out of shell history.",
        ),
    ],
) -> None:
    """Register a user with the same rules as POST /users/."""
    settings = load_settings().model_copy(update={"repository": "postgres"})
    with one_line_errors(), build_container(settings).database_admin().at_head() as url:
        user = asyncio.run(
            _register(
                settings.model_copy(update={"database_url": url}),
                RegisterUser(email=email, username=username, password=password),
            )
        )
    typer.echo(f"Created user {user.id}: {user.username} <{user.email}>")


async def _register(settings: Settings, command: RegisterUser) -> User:
    async with running(build_container(settings)) as container:
        user: User = await container.user_service().register_user(command)
        return user
