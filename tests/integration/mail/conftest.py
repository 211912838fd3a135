"""The tests' SMTP server (tests/support/smtp.py) as the `smtp_server` fixture."""

from tests.support.smtp import smtp_server

__all__ = ["smtp_server"]
