"""The mail adapters: SMTP delivery, a console stand-in for development, and the templates."""
