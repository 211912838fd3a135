"""Add a version to users and posts, for ETags and conditional changes.

Existing rows start at 1, like new ones. Since PostgreSQL 11, adding a column
with a constant default rewrites no rows, so this is quick on a large table.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 10:45:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("users", "posts")


def upgrade() -> None:
    for table in _TABLES:
        op.add_column(
            table,
            sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        )


def downgrade() -> None:
    for table in reversed(_TABLES):
        op.drop_column(table, "version")
