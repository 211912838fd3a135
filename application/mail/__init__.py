"""Delivering the outbox: mails owed by committed changes, sent at least once."""
