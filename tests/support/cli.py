"""The command line as the tests start it: as an operator does, in a process of its own."""

import sys
from typing import Final

CLI: Final = (sys.executable, "-m", "interfaces")
"""`python -m interfaces` with the interpreter running the tests; add a command and options."""
