"""The schema revision this code is written for, known without loading Alembic."""

from typing import Final

SCHEMA_HEAD: Final = "0010"
"""The last migration's revision; a test holds it equal to Alembic's head.

The readiness probe compares the database's revision with it on every
probe. Asking Alembic instead would load it, with Mako and Pygments, into
every worker: about 11 MiB that serving requests never uses. Bump it with
each new migration (the test names the value it wants).
"""
