"""`create-user`, `grant-admin` and `revoke-admin`: accounts from the terminal, through the same
use cases as the API."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated

import typer

from application.users import RegisterUser, UserService
from domain.users import Role, User
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
    admin: Annotated[
        bool, typer.Option("--admin", help="Give the account the admin role.")
    ] = False,
) -> None:
    """Register a user with the same rules as POST /users/ (a member, unless --admin)."""
    command = RegisterUser(email=email, username=username, password=password)
    role = Role.ADMIN if admin else Role.MEMBER
    user = _run(lambda users: users.register_user(command, role=role))
    admin_note = " (admin)" if user.role is Role.ADMIN else ""
    typer.echo(f"Created user {user.id}: {user.username} <{user.email}>{admin_note}")


@app.command("grant-admin")
def grant_admin(username: Annotated[str, typer.Argument(help="The account's username.")]) -> None:
    """Give an account the admin role."""
    user = _run(lambda users: users.change_role(username, Role.ADMIN))
    typer.echo(f"{user.username} is an admin")


@app.command("revoke-admin")
def revoke_admin(username: Annotated[str, typer.Argument(help="The account's username.")]) -> None:
    """Make an admin a member again; the last admin stays one (exit code 1, saying why)."""
    user = _run(lambda users: users.change_role(username, Role.MEMBER))
    typer.echo(f"{user.username} is a member")


def _run(use_case: Callable[[UserService], Awaitable[User]]) -> User:
    settings = load_settings().model_copy(update={"repository": "postgres"})
    with one_line_errors(), build_container(settings).database_admin().at_head() as url:
        return asyncio.run(
            _with_service(settings.model_copy(update={"database_url": url}), use_case)
        )


async def _with_service(
    settings: Settings, use_case: Callable[[UserService], Awaitable[User]]
) -> User:
    async with running(build_container(settings)) as container:
        return await use_case(container.user_service())
