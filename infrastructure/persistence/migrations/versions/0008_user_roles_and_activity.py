"""Give every account a role, `member` (every existing account) or `admin`, and an activity
flag (every existing account active).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 05:10:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A constant default: PostgreSQL adds the column without rewriting the table.
    op.add_column(
        "users",
        sa.Column("role", sa.String(length=16), server_default="member", nullable=False),
    )
    op.add_column(
        "users",
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    op.create_check_constraint(op.f("ck_users_known_role"), "users", "role IN ('member', 'admin')")
    op.create_index(
        "ix_users_admins",
        "users",
        ["id"],
        unique=False,
        postgresql_where=sa.text("role = 'admin' AND active"),
    )


def downgrade() -> None:
    op.drop_index("ix_users_admins", table_name="users")
    op.drop_constraint(op.f("ck_users_known_role"), "users", type_="check")
    op.drop_column("users", "active")
    op.drop_column("users", "role")
