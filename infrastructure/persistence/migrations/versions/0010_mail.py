"""Mail: whether an account's address is verified and the address it asked to move to
(every existing account unverified, none moving), the mailed single-use tokens (digests
only), and the outbox of mail owed by committed changes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 07:01:55.057986+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_tokens",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("digest", sa.LargeBinary(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('verify-email', 'reset-password')",
            name=op.f("ck_mail_tokens_known_purpose"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_mail_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_mail_tokens_digest")),
    )
    op.create_index("ix_mail_tokens_expires_at", "mail_tokens", ["expires_at"], unique=False)
    op.create_index(
        "ix_mail_tokens_user_id_purpose", "mail_tokens", ["user_id", "purpose"], unique=False
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("username", sa.String(length=32), nullable=False),
        sa.Column("token_id", sa.UUID(), nullable=True),
        sa.Column("valid_for", postgresql.INTERVAL(), nullable=True),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "due_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('verify-email', 'confirm-new-email', 'email-change-requested', "
            "'reset-password', 'password-was-reset')",
            name=op.f("ck_outbox_known_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_outbox_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(
        "ix_outbox_due_at",
        "outbox",
        ["due_at"],
        unique=False,
        postgresql_where=sa.text("sent_at IS NULL AND failed_at IS NULL"),
    )
    op.create_index("ix_outbox_user_id", "outbox", ["user_id"], unique=False)
    # A constant default: PostgreSQL adds the column without rewriting the table.
    op.add_column(
        "users",
        sa.Column("email_verified", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column("users", sa.Column("pending_email", sa.String(length=254), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "pending_email")
    op.drop_column("users", "email_verified")
    op.drop_index("ix_outbox_user_id", table_name="outbox")
    op.drop_index(
        "ix_outbox_due_at",
        table_name="outbox",
        postgresql_where=sa.text("sent_at IS NULL AND failed_at IS NULL"),
    )
    op.drop_table("outbox")
    op.drop_index("ix_mail_tokens_user_id_purpose", table_name="mail_tokens")
    op.drop_index("ix_mail_tokens_expires_at", table_name="mail_tokens")
    op.drop_table("mail_tokens")
