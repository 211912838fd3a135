"""The /admin resource: accounts as admins see and change them."""
