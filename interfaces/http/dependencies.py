"""FastAPI dependencies that hand the routers their use cases.

Services come from the container stored on the application, rather than from
dependency-injector's module wiring: wiring patches module globals, so two
apps built in one process (as the tests do, one per test) would share
whichever container was wired last.
"""

from typing import Annotated

from fastapi import Depends, Request

from application.users import UserService
from infrastructure.container import Container


def container_of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def _user_service(request: Request) -> UserService:
    service: UserService = container_of(request).user_service()
    return service


UserServiceDep = Annotated[UserService, Depends(_user_service)]
