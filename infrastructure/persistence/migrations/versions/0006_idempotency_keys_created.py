"""Idempotency records name what they created, and are deleted with it.

A stored answer is a copy of the account or the post it created (and a
registration's scope holds the email): `user_id` and `post_id` point to it
with ON DELETE CASCADE, so deleting either deletes the record in the same
transaction. Exactly one of the two is set.

Records written before this revision are linked through the `Location` they
stored (`/users/{id}` for a registration, `/posts/{id}` for a post); the
ones whose account or post is gone already are deleted, as they would have
been had this revision been there. The downgrade drops the links only.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:40:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each record's stored Location names what it created: `/users/{id}` or `/posts/{id}`.
_LINK_REGISTRATIONS = """
UPDATE idempotency_keys SET user_id = users.id
FROM users
WHERE idempotency_keys.scope LIKE 'registration:%'
  AND users.id = (
    SELECT substring(header ->> 1 FROM '^/users/([1-9][0-9]{0,18})$')::bigint
    FROM jsonb_array_elements(idempotency_keys.headers) AS header
    WHERE lower(header ->> 0) = 'location'
    LIMIT 1
  )
"""
_LINK_POSTS = """
UPDATE idempotency_keys SET post_id = posts.id
FROM posts
WHERE idempotency_keys.scope LIKE 'user:%'
  AND posts.id = (
    SELECT substring(header ->> 1 FROM '^/posts/([1-9][0-9]{0,18})$')::bigint
    FROM jsonb_array_elements(idempotency_keys.headers) AS header
    WHERE lower(header ->> 0) = 'location'
    LIMIT 1
  )
"""


def upgrade() -> None:
    op.add_column("idempotency_keys", sa.Column("user_id", sa.BigInteger(), nullable=True))
    op.add_column("idempotency_keys", sa.Column("post_id", sa.BigInteger(), nullable=True))
    op.execute(_LINK_REGISTRATIONS)
    op.execute(_LINK_POSTS)
    op.execute("DELETE FROM idempotency_keys WHERE user_id IS NULL AND post_id IS NULL")
    op.create_foreign_key(
        op.f("fk_idempotency_keys_user_id_users"),
        "idempotency_keys",
        "users",
        ["user_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_foreign_key(
        op.f("fk_idempotency_keys_post_id_posts"),
        "idempotency_keys",
        "posts",
        ["post_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_check_constraint(
        op.f("ck_idempotency_keys_created_one_resource"),
        "idempotency_keys",
        "num_nonnulls(user_id, post_id) = 1",
    )
    op.create_index(
        "ix_idempotency_keys_user_id",
        "idempotency_keys",
        ["user_id"],
        unique=False,
        postgresql_where=sa.text("user_id IS NOT NULL"),
    )
    op.create_index(
        "ix_idempotency_keys_post_id",
        "idempotency_keys",
        ["post_id"],
        unique=False,
        postgresql_where=sa.text("post_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_post_id", table_name="idempotency_keys")
    op.drop_index("ix_idempotency_keys_user_id", table_name="idempotency_keys")
    op.drop_constraint(
        op.f("ck_idempotency_keys_created_one_resource"), "idempotency_keys", type_="check"
    )
    op.drop_constraint(
        op.f("fk_idempotency_keys_post_id_posts"), "idempotency_keys", type_="foreignkey"
    )
    op.drop_constraint(
        op.f("fk_idempotency_keys_user_id_users"), "idempotency_keys", type_="foreignkey"
    )
    op.drop_column("idempotency_keys", "post_id")
    op.drop_column("idempotency_keys", "user_id")
