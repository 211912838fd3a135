"""Use cases about accounts."""

from application.users.commands import RegisterUser
from application.users.service import UserService

__all__ = ["RegisterUser", "UserService"]
