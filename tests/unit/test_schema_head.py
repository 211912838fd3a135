"""The schema revision the readiness probe expects is the migrations' real head."""

from infrastructure.persistence import migrator
from infrastructure.persistence.schema import SCHEMA_HEAD


def test_the_schema_head_constant_is_alembics_head() -> None:
    head = migrator.head_revision()
    assert head == SCHEMA_HEAD, (
        f"set SCHEMA_HEAD in infrastructure/persistence/schema.py to {head!r}"
    )
