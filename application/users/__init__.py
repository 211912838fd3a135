"""Use cases about accounts."""

from application.users.commands import RegisterUser, UpdateUser
from application.users.service import UserService

__all__ = ["RegisterUser", "UpdateUser", "UserService"]
