"""Filling a database with realistic fake users and posts, fast enough for a million rows."""

from infrastructure.seeding.bulk import SEED_PASSWORD, NoAuthorsError, SeedReport, seed

__all__ = ["SEED_PASSWORD", "NoAuthorsError", "SeedReport", "seed"]
