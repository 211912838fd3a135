"""Statements compiled once: the SQL psycopg gets, and the values bound to it."""

from datetime import timedelta

import pytest
from psycopg.types.json import Jsonb
from sqlalchemy import bindparam, literal, select, update
from sqlalchemy.types import Interval

from infrastructure.persistence.statements import Statement
from infrastructure.persistence.tables import idempotency_keys, users


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


def test_bind_processors_are_applied_as_sqlalchemy_would() -> None:
    statement = Statement(
        select(idempotency_keys.c.key).where(
            idempotency_keys.c.headers
            == bindparam("headers", type_=idempotency_keys.c.headers.type)
        )
    )

    bound = statement.parameters({"headers": [["ETag", '"1"']]})

    assert isinstance(bound["headers"], Jsonb)
    assert bound["headers"].obj == [["ETag", '"1"']]


def test_a_statement_finished_at_execution_time_is_refused() -> None:
    with pytest.raises(ValueError, match="compiled per execution"):
        Statement(select(users.c.id).where(users.c.id.in_(bindparam("ids", expanding=True))))
