"""Filling a database with realistic fake users and posts, fast enough for a million rows.

factory-boy and Faker are the `seed` extra: a served install has neither, and
importing this package without them says which extra to install.
"""

from infrastructure.settings import require_extra

require_extra("seed", ("factory", "faker"), "Seeding (factory-boy and Faker)")

from infrastructure.seeding.bulk import (  # noqa: E402 - after the check, which names the extra
    SEED_PASSWORD,
    NoAuthorsError,
    SeedReport,
    seed,
)

__all__ = ["SEED_PASSWORD", "NoAuthorsError", "SeedReport", "seed"]
