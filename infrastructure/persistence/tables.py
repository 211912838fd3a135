"""The schema as SQLAlchemy metadata: what Alembic compares the migrations with."""

from typing import Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    false,
    func,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import INTERVAL, JSONB, UUID

from domain.audit.entities import DETAIL_MAX_LENGTH, REQUEST_ID_MAX_LENGTH, TARGET_MAX_LENGTH
from domain.mail import MailKind, TokenPurpose
from domain.posts.rules import TITLE_MAX_LENGTH
from domain.sessions import CLIENT_NETWORK_MAX_LENGTH, USER_AGENT_MAX_LENGTH
from domain.users import Role
from domain.users.rules import EMAIL_MAX_LENGTH, USERNAME_MAX_LENGTH

# Explicit names let the repositories recognise which rule a violation broke.
NAMING_CONVENTION: Final = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata: Final = MetaData(naming_convention=NAMING_CONVENTION)


def _version() -> Column[int]:
    """What ETags are made of: 1 for a new row, raised by one by each UPDATE that changes it.

    The repositories raise it in the UPDATE itself (`version = version + 1`),
    so no two committed states of a row share a version.
    """
    return Column("version", Integer, nullable=False, server_default=text("1"))


ROLE_MAX_LENGTH: Final = 16

USERS_EMAIL_UNIQUE: Final = "uq_users_email_lower"
USERS_USERNAME_UNIQUE: Final = "uq_users_username_lower"

users: Final = Table(
    "users",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("email", String(EMAIL_MAX_LENGTH), nullable=False),
    Column("username", String(USERNAME_MAX_LENGTH), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    _version(),
    Column("role", String(ROLE_MAX_LENGTH), nullable=False, server_default=Role.MEMBER.value),
    Column("active", Boolean, nullable=False, server_default=true()),
    # Set once a mailed link proved `email`; an account registered before mail existed is
    # unverified, which only matters with REQUIRE_VERIFIED_EMAIL.
    Column("email_verified", Boolean, nullable=False, server_default=false()),
    # The address the owner asked to move to; `email` stays until a link mailed there is used.
    Column("pending_email", String(EMAIL_MAX_LENGTH)),
    CheckConstraint(
        "role IN ({})".format(", ".join(f"'{role.value}'" for role in Role)), name="known_role"
    ),
)
# Only the active admins' rows are read by role (the last-admin rule): a small partial index.
Index(
    "ix_users_admins",
    users.c.id,
    postgresql_where=(users.c.role == Role.ADMIN.value) & users.c.active,
)
# Case-insensitive uniqueness lives in the database so that it holds under
# concurrent registrations, not only in the service's pre-checks.
Index(USERS_EMAIL_UNIQUE, func.lower(users.c.email), unique=True)
Index(USERS_USERNAME_UNIQUE, func.lower(users.c.username), unique=True)

POSTS_AUTHOR_FOREIGN_KEY: Final = "fk_posts_author_id_users"

posts: Final = Table(
    "posts",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("title", String(TITLE_MAX_LENGTH), nullable=False),
    Column("content", Text, nullable=False),
    Column(
        "author_id",
        BigInteger,
        # Deleting a user deletes their posts: one statement, atomic, and
        # true whichever code path deletes the user.
        ForeignKey(users.c.id, ondelete="CASCADE", name=POSTS_AUTHOR_FOREIGN_KEY),
        nullable=False,
    ),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    _version(),
)
# Listings read newest first (created_at DESC, id DESC), globally or for one
# author; PostgreSQL walks these indexes backwards for both. The author one
# also serves the foreign key when a user is deleted.
Index("ix_posts_author_id_created_at_id", posts.c.author_id, posts.c.created_at, posts.c.id)
Index("ix_posts_created_at_id", posts.c.created_at, posts.c.id)

IDEMPOTENCY_KEY_MAX_LENGTH: Final = 255

# One row per (caller, key) that committed a create: the answer to replay.
# Written in the transaction of the create itself, so neither outlives the other;
# and deleted with what it created, by the foreign key that names it (user_id for
# a registration, post_id for a post), as the answer is a copy of it.
idempotency_keys: Final = Table(
    "idempotency_keys",
    metadata,
    Column("scope", Text, nullable=False),
    Column("key", String(IDEMPOTENCY_KEY_MAX_LENGTH), nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("status", SmallInteger, nullable=False),
    # [[name, value], ...]: pairs rather than an object, as a header may repeat.
    Column("headers", JSONB, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("user_id", BigInteger, ForeignKey(users.c.id, ondelete="CASCADE")),
    Column("post_id", BigInteger, ForeignKey(posts.c.id, ondelete="CASCADE")),
    PrimaryKeyConstraint("scope", "key"),
    CheckConstraint("num_nonnulls(user_id, post_id) = 1", name="created_one_resource"),
)
# What the purge scans.
Index("ix_idempotency_keys_expires_at", idempotency_keys.c.expires_at)
# What the cascades look up when a user or a post is deleted; most rows have one of the two.
Index(
    "ix_idempotency_keys_user_id",
    idempotency_keys.c.user_id,
    postgresql_where=idempotency_keys.c.user_id.isnot(None),
)
Index(
    "ix_idempotency_keys_post_id",
    idempotency_keys.c.post_id,
    postgresql_where=idempotency_keys.c.post_id.isnot(None),
)

# Rate-limit counters, one row per key and fixed window (infrastructure.ratelimit.postgres).
# UNLOGGED: writes skip the WAL, which every login would otherwise pay for. After a crash
# PostgreSQL empties the table, and a standby gets none of its rows (after a failover it
# starts empty). Losing counters only restarts their windows, so durability would buy
# nothing here.
rate_limit_counters: Final = Table(
    "rate_limit_counters",
    metadata,
    Column("key", Text, primary_key=True),
    Column("count", BigInteger, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    prefixes=["UNLOGGED"],
)

REVOCATION_REASON_MAX_LENGTH: Final = 32

# One row per login (infrastructure.persistence.sessions). Deleted with the account; the
# purge deletes those that ended. Ended rows stay until then, for the owner's list and
# for a spent refresh token's reuse to be recognised.
sessions: Final = Table(
    "sessions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column(
        "user_id",
        BigInteger,
        ForeignKey(users.c.id, ondelete="CASCADE"),
        nullable=False,
    ),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_used_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("user_agent", String(USER_AGENT_MAX_LENGTH), nullable=False),
    Column("client_network", String(CLIENT_NETWORK_MAX_LENGTH), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("revoked_reason", String(REVOCATION_REASON_MAX_LENGTH)),
    CheckConstraint(
        "(revoked_at IS NULL) = (revoked_reason IS NULL)", name="revoked_with_a_reason"
    ),
)
# A user's sessions: the list, revoking all, and the cascade of an account's deletion.
Index("ix_sessions_user_id", sessions.c.user_id)
# What the purge scans for.
Index("ix_sessions_expires_at", sessions.c.expires_at)

# The digests of the refresh tokens issued in each session: the live one (spent_at NULL)
# and those it replaced, kept so that a spent one coming back is recognised as reuse.
refresh_tokens: Final = Table(
    "refresh_tokens",
    metadata,
    Column("digest", LargeBinary, primary_key=True),
    Column(
        "session_id",
        UUID(as_uuid=True),
        ForeignKey(sessions.c.id, ondelete="CASCADE"),
        nullable=False,
    ),
    Column("issued_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("spent_at", DateTime(timezone=True)),
)
Index("ix_refresh_tokens_session_id", refresh_tokens.c.session_id)

AUDIT_KIND_MAX_LENGTH: Final = 32

# The audit trail (infrastructure.persistence.audit): appended to in the transaction of the
# change it records, never updated or deleted (a trigger refuses both). No foreign keys: an
# event outlives the account or post it names.
audit_events: Final = Table(
    "audit_events",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("kind", String(AUDIT_KIND_MAX_LENGTH), nullable=False),
    Column("actor_id", BigInteger),
    Column("target", String(TARGET_MAX_LENGTH), nullable=False),
    Column("detail", String(DETAIL_MAX_LENGTH), nullable=False),
    Column("request_id", String(REQUEST_ID_MAX_LENGTH), nullable=False),
    Column("client_network", String(CLIENT_NETWORK_MAX_LENGTH), nullable=False),
)
# The filters of GET /admin/audit, each newest first.
Index("ix_audit_events_actor_id_id", audit_events.c.actor_id, audit_events.c.id)
Index("ix_audit_events_target_id", audit_events.c.target, audit_events.c.id)
Index("ix_audit_events_kind_id", audit_events.c.kind, audit_events.c.id)

MAIL_KIND_MAX_LENGTH: Final = 32
TOKEN_PURPOSE_MAX_LENGTH: Final = 16


def _one_of(column: str, values: type[MailKind] | type[TokenPurpose]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{value.value}'" for value in values))


# The single-use tokens mailed links carry (infrastructure.persistence.mail_tokens): only
# their SHA-256 digests; the token is derived again from `id` when the mail is composed.
mail_tokens: Final = Table(
    "mail_tokens",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("digest", LargeBinary, nullable=False, unique=True),
    Column("user_id", BigInteger, ForeignKey(users.c.id, ondelete="CASCADE"), nullable=False),
    Column("purpose", String(TOKEN_PURPOSE_MAX_LENGTH), nullable=False),
    Column("email", String(EMAIL_MAX_LENGTH), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    CheckConstraint(_one_of("purpose", TokenPurpose), name="known_purpose"),
)
# Spending all of an account's tokens of a purpose, and the cascade of its deletion.
Index("ix_mail_tokens_user_id_purpose", mail_tokens.c.user_id, mail_tokens.c.purpose)
# What the purge scans for.
Index("ix_mail_tokens_expires_at", mail_tokens.c.expires_at)

# The outbox (infrastructure.persistence.outbox): mail owed by a committed change, written in
# its transaction, until a sender delivers it (sent_at) or gives up (failed_at). Deleted with
# the account, as it holds its address and name.
outbox: Final = Table(
    "outbox",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("user_id", BigInteger, ForeignKey(users.c.id, ondelete="CASCADE"), nullable=False),
    Column("kind", String(MAIL_KIND_MAX_LENGTH), nullable=False),
    Column("recipient", String(EMAIL_MAX_LENGTH), nullable=False),
    Column("username", String(USERNAME_MAX_LENGTH), nullable=False),
    # No foreign key: composing needs only the id, and the purge may delete the token first.
    Column("token_id", UUID(as_uuid=True)),
    Column("valid_for", INTERVAL()),
    Column("detail", Text, nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("due_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("sent_at", DateTime(timezone=True)),
    Column("failed_at", DateTime(timezone=True)),
    CheckConstraint(_one_of("kind", MailKind), name="known_kind"),
)
# What the senders claim from: the mail still owed, by when it is due.
Index(
    "ix_outbox_due_at",
    outbox.c.due_at,
    postgresql_where=outbox.c.sent_at.is_(None) & outbox.c.failed_at.is_(None),
)
Index("ix_outbox_user_id", outbox.c.user_id)
