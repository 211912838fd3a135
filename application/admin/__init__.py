"""What admins do to accounts: list them with their private fields, change roles and activity."""

from application.admin.service import AccountChange, AdminService

__all__ = ["AccountChange", "AdminService"]
