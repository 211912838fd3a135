"""`python -m interfaces`: the command line."""

from interfaces.console import main

main(prog_name="python -m interfaces")
