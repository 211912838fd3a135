"""Statements compiled once: the SQL psycopg gets, and the values bound to it."""

from datetime import timedelta
from typing import Any, Final

import pytest
from sqlalchemy import Boolean, Column, Enum, PickleType, Uuid, bindparam, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import Interval, TypeEngine

from infrastructure.persistence.statements import DIALECT, Statement
from infrastructure.persistence.tables import metadata, users


def test_the_sql_is_psycopgs_named_placeholders_with_casts() -> None:
    statement = Statement(select(users.c.id).where(users.c.id == bindparam("user_id")))

    assert "users.id = %(user_id)s::BIGINT" in statement.sql
    assert statement.parameters({"user_id": 7}) == {"user_id": 7}


def test_values_written_into_the_statement_are_bound_by_default() -> None:
    tick = timedelta(microseconds=1)
    statement = Statement(
        update(users)
        .where(users.c.id == bindparam("row_id"))
        .values(updated_at=users.c.updated_at + literal(tick, Interval()))
    )

    (default_name,) = set(statement.parameters({})) - {"row_id"}
    assert f"%({default_name})s" in statement.sql
    assert statement.parameters({"row_id": 1}) == {default_name: tick, "row_id": 1}


# Types whose values psycopg does not take as SQLAlchemy would send them, each with where the
# code makes up for it.
_WRAPPED_BY_THE_REPOSITORIES: Final = {
    JSONB: "PostgresIdempotencyKeyRepository.add wraps the headers in psycopg's Jsonb",
    Boolean: "SQLAlchemy's processor only refuses what is not a bool; the repositories bind "
    "Python bools (users.active), which psycopg adapts as they are",
}


@pytest.mark.parametrize("column", [c for t in metadata.sorted_tables for c in t.columns], ids=str)
def test_no_column_needs_processing_the_fast_path_skips(column: Column[Any]) -> None:
    """Rows come back as psycopg loads them and values go out as psycopg adapts them: a
    type SQLAlchemy would convert on the way (an Enum, a PickleType, a TypeDecorator) must
    be dealt with before it joins a table."""
    impl = column.type.dialect_impl(DIALECT)

    assert impl.result_processor(DIALECT, None) is None, f"{column} needs result processing"
    if type(column.type) not in _WRAPPED_BY_THE_REPOSITORIES:
        assert impl.bind_processor(DIALECT) is None, f"{column} needs its values processed"


@pytest.mark.parametrize(
    "column_type", [Enum("a", "b", name="kind"), PickleType(), Uuid(as_uuid=False)], ids=repr
)
def test_the_guard_catches_types_that_would_need_processing(column_type: TypeEngine[Any]) -> None:
    impl = column_type.dialect_impl(DIALECT)
    assert (
        impl.result_processor(DIALECT, None) is not None or impl.bind_processor(DIALECT) is not None
    )


def test_a_statement_finished_at_execution_time_is_refused() -> None:
    with pytest.raises(ValueError, match="compiled per execution"):
        Statement(select(users.c.id).where(users.c.id.in_(bindparam("ids", expanding=True))))
