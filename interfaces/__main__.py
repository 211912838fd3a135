"""`python -m interfaces`: the command line, as the `users-posts` console script runs it."""

from interfaces.cli import app

app(prog_name="python -m interfaces")
