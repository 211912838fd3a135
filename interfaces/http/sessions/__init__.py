"""The /users/me/sessions resource: the caller's sign-ins."""
