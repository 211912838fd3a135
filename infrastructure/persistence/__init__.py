"""PostgreSQL through psycopg 3 and its pool, with SQLAlchemy Core for the schema and the SQL.

Mapping choice: Core `Table`s plus explicit row-to-entity functions, rather
than mapping the domain classes imperatively. The entities stay plain frozen
dataclasses that SQLAlchemy never instruments, so the in-memory adapter hands
out exactly the same objects; PostgreSQL assigns ids and timestamps and gives
them back through RETURNING; and reading a page of rows costs no identity map
or change tracking, which the hot read paths notice.

Execution choice: the statements are written in Core and compiled once
(`statements.Statement`), then run on a psycopg connection that a block of
work borrows from psycopg_pool's `AsyncConnectionPool` (`database`,
`unit_of_work`). SQLAlchemy keeps what it is best at here: the schema
Alembic migrates and the SQL. What its execution would add per call (a cache
key, an execution context, a result object, a greenlet switch per await)
cost more CPU than psycopg's own work, so a request skips it; Alembic runs on
an engine of its own, at migrate time only (`migrator`).
"""
