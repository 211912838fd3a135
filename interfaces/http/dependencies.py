"""FastAPI dependencies that hand the routers their use cases.

Services come from the container stored on the application, rather than from
dependency-injector's module wiring: wiring patches module globals, so two
apps built in one process (as the tests do, one per test) would share
whichever container was wired last. They are coroutines, though nothing in
them waits: FastAPI runs a plain `def` dependency in a worker thread, a hop
that cost the benchmark several percent per dependency.
"""

from typing import Annotated

from fastapi import Depends, Request

from application.accounts.password_reset import PasswordResetService
from application.accounts.verification import EmailVerificationService
from application.admin import AdminService
from application.auth import AuthService
from application.posts import PostService
from application.sessions import SessionService
from application.users import UserService
from infrastructure.container import Container


def container_of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def _user_service(request: Request) -> UserService:
    service: UserService = container_of(request).user_service()
    return service


async def _post_service(request: Request) -> PostService:
    service: PostService = container_of(request).post_service()
    return service


async def _auth_service(request: Request) -> AuthService:
    service: AuthService = container_of(request).auth_service()
    return service


async def _admin_service(request: Request) -> AdminService:
    service: AdminService = container_of(request).admin_service()
    return service


async def _session_service(request: Request) -> SessionService:
    service: SessionService = container_of(request).session_service()
    return service


async def _email_verification_service(request: Request) -> EmailVerificationService:
    service: EmailVerificationService = container_of(request).email_verification_service()
    return service


async def _password_reset_service(request: Request) -> PasswordResetService:
    service: PasswordResetService = container_of(request).password_reset_service()
    return service


UserServiceDep = Annotated[UserService, Depends(_user_service)]
PostServiceDep = Annotated[PostService, Depends(_post_service)]
AuthServiceDep = Annotated[AuthService, Depends(_auth_service)]
SessionServiceDep = Annotated[SessionService, Depends(_session_service)]
AdminServiceDep = Annotated[AdminService, Depends(_admin_service)]
EmailVerificationServiceDep = Annotated[
    EmailVerificationService, Depends(_email_verification_service)
]
PasswordResetServiceDep = Annotated[PasswordResetService, Depends(_password_reset_service)]
