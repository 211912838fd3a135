"""PostgreSQL through SQLAlchemy 2 and psycopg 3.

Mapping choice: Core `Table`s plus explicit row-to-entity functions, rather
than mapping the domain classes imperatively. The entities stay plain frozen
dataclasses that SQLAlchemy never instruments, so the in-memory adapter hands
out exactly the same objects; PostgreSQL assigns ids and timestamps and gives
them back through RETURNING; and reading a page of rows costs no identity map
or change tracking, which the hot read paths notice.

Execution choice: the statements are written in Core and compiled once
(`statements.Statement`), then run on the psycopg connection inside a
connection from SQLAlchemy's pool (`unit_of_work`). SQLAlchemy keeps what
it is best at here: the schema Alembic migrates, the SQL, the pool with its
pre-ping and invalidation. What it would add per call (a cache key, an
execution context, a result object, a greenlet switch per await) cost more
CPU than psycopg's own work, so a request skips it.
"""
