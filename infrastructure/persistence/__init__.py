"""PostgreSQL through SQLAlchemy 2 (async, psycopg 3).

Mapping choice: Core `Table`s plus explicit row-to-entity functions, rather
than mapping the domain classes imperatively. The entities stay plain frozen
dataclasses that SQLAlchemy never instruments, so the in-memory adapter hands
out exactly the same objects; PostgreSQL assigns ids and timestamps and gives
them back through RETURNING; and reading a page of rows costs no identity map
or change tracking, which the hot read paths notice.
"""
