"""Where the checkout is: tests read its files (README, Dockerfile, lock files) and run
commands from it. The service itself never looks for its checkout; it may be installed."""

from pathlib import Path
from typing import Final

PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]
