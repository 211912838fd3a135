"""The /auth resource: tokens."""
