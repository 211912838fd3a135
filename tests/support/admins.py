"""Admins for the tests that need one: registered through the use case, as `create-user
--admin` does, since no route makes one."""

from itertools import count

import httpx

from application.users import RegisterUser
from domain.users import Role
from infrastructure.container import Container
from tests.support.accounts import PASSWORD, Account, login

_numbers = count(1)


async def make_admin(client: httpx.AsyncClient, container: Container) -> Account:
    """Register an admin and log in as them."""
    name = f"admin{next(_numbers)}"
    command = RegisterUser(email=f"{name}@example.com", username=name, password=PASSWORD)
    user = await container.user_service().register_user(command, role=Role.ADMIN)
    tokens = (await login(client, name)).json()
    return Account(user.id, name, user.email, tokens["access_token"], tokens["refresh_token"])
