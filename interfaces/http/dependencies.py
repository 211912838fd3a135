"""The use cases, for the routers: each taken from the container stored on the application.

From the container on the app, rather than from dependency-injector's module
wiring: wiring patches module globals, so two apps built in one process (as
the tests do, one per test) would share whichever container was wired last.

Plain functions a route calls with its request, rather than FastAPI
dependencies: FastAPI solves every dependency of a route anew on each
request (its parameters, its cache key, whether it is a generator), which
cost more than the use case's own work on the cheapest reads.
"""

from fastapi import Request

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


def user_service(request: Request) -> UserService:
    service: UserService = container_of(request).user_service()
    return service


def post_service(request: Request) -> PostService:
    service: PostService = container_of(request).post_service()
    return service


def auth_service(request: Request) -> AuthService:
    service: AuthService = container_of(request).auth_service()
    return service


def admin_service(request: Request) -> AdminService:
    service: AdminService = container_of(request).admin_service()
    return service


def session_service(request: Request) -> SessionService:
    service: SessionService = container_of(request).session_service()
    return service


def email_verification_service(request: Request) -> EmailVerificationService:
    service: EmailVerificationService = container_of(request).email_verification_service()
    return service


def password_reset_service(request: Request) -> PasswordResetService:
    service: PasswordResetService = container_of(request).password_reset_service()
    return service
