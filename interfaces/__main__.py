"""`python -m interfaces`: the command line, as the `users-posts` console script runs it."""

from interfaces.console import main

main(prog_name="python -m interfaces")
