"""The command line: `users-posts --help`, or `python -m interfaces --help`.

Each module adds its commands to the one Typer app; importing them here is
what registers them.
"""

from interfaces.cli import accounts, database, maintenance, serving
from interfaces.cli.app import app

__all__ = ["accounts", "app", "database", "main", "maintenance", "serving"]


def main() -> None:
    """The `users-posts` console script that installing the package puts on the PATH."""
    app(prog_name="users-posts")
