"""The command line's entry point, for `python -m interfaces` and a console script.

The CLI takes a second or two to import (FastAPI, SQLAlchemy, uvicorn...), and a
Ctrl-C in that time would end in a traceback of every module being imported.
So the import happens here, inside the guard, and this module imports nothing
heavy itself: a console script pointed at `interfaces.console:main` is covered too.
"""

import sys
from typing import Final

INTERRUPTED_EXIT_CODE: Final = 130
"""128 + SIGINT: what a shell reports for a program that Ctrl-C ended."""


def main(prog_name: str | None = None) -> None:
    """Run the CLI; an interrupt, during the imports or after, is one line and exit 130."""
    try:
        from interfaces.cli import app  # noqa: PLC0415 - imported under the guard, see above

        app(prog_name=prog_name)
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        raise SystemExit(INTERRUPTED_EXIT_CODE) from None
