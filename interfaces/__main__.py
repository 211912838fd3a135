"""`python -m interfaces`: the command line."""

from interfaces.cli import app

app(prog_name="python -m interfaces")
