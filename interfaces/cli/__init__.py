"""The command line: `users-posts --help`, or `python -m interfaces --help`.

Each module adds its commands to the one Typer app; importing them here is
what registers them. The entry point is `interfaces.console.main`.
"""

from interfaces.cli import accounts, database, maintenance, serving
from interfaces.cli.app import app

__all__ = ["accounts", "app", "database", "maintenance", "serving"]
