"""Where the checkout is: the benchmarks run from one, and keep their data and results in it."""

from pathlib import Path
from typing import Final

PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent
