"""The relational schema (SQLAlchemy Core). Alembic migrations create exactly these tables."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

__all__ = [
    "metadata",
    "customers",
    "customer_reference_sequences",
    "sessions",
    "refresh_tokens",
    "customer_events",
    "login_windows",
    "restore_password_keys",
    "registration_keys",
    "mail_outbox",
]

metadata = sa.MetaData()

# Timestamps are stored in UTC. PostgreSQL keeps the offset; SQLite stores naive UTC and the
# query layer attaches UTC on the way out.
Timestamp = sa.DateTime(timezone=True)

customer_reference_sequences = sa.Table(
    "customer_reference_sequences",
    metadata,
    sa.Column("store", sa.String(16), primary_key=True),
    sa.Column("last_value", sa.Integer, nullable=False),
)

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("store", sa.String(16), nullable=False),
    sa.Column("reference", sa.String(40), nullable=False, unique=True),
    sa.Column("email", sa.String(255), nullable=False),
    # Lower-cased e-mail: uniqueness per store is case-insensitive and enforced by the index below.
    sa.Column("email_key", sa.String(255), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=True),
    sa.Column("salutation", sa.String(8), nullable=True),
    sa.Column("first_name", sa.String(100), nullable=True),
    sa.Column("last_name", sa.String(100), nullable=True),
    sa.Column("gender", sa.String(8), nullable=True),
    sa.Column("date_of_birth", sa.Date, nullable=True),
    # ll_CC, one of the store's locales; legacy rows may hold a bare language or NULL, resolved on
    # read and stored resolved at the customer's next write.
    sa.Column("locale", sa.String(8), nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("anonymized_at", Timestamp, nullable=True),
    # The default addresses are pointers, so at most one address can be each default.
    sa.Column("default_billing_address_id", sa.String(36), nullable=True),
    sa.Column("default_shipping_address_id", sa.String(36), nullable=True),
    sa.Column("default_contact_address_id", sa.String(36), nullable=True),
    # Set at registration while double opt-in is on; cleared by the registration key (or a restore).
    sa.Column("awaiting_confirmation", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("store", "email_key", name="uq_customers_store_email_key"),
)

addresses = sa.Table(
    "addresses",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("salutation", sa.String(8), nullable=False),
    sa.Column("first_name", sa.String(100), nullable=False),
    sa.Column("last_name", sa.String(100), nullable=False),
    sa.Column("address1", sa.String(255), nullable=False),
    sa.Column("address2", sa.String(255), nullable=True),
    sa.Column("address3", sa.String(255), nullable=True),
    sa.Column("zip_code", sa.String(15), nullable=False),
    sa.Column("city", sa.String(255), nullable=False),
    sa.Column("iso2_code", sa.String(2), nullable=False),
    sa.Column("company", sa.String(255), nullable=True),
    sa.Column("phone", sa.String(255), nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("revoked_at", Timestamp, nullable=True),
)

# One row per refresh token ever issued; only its SHA-256 digest is stored. A row whose
# rotated_at is set was exchanged already: presenting it again revokes the whole session.
refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("session_id", sa.String(36), sa.ForeignKey("sessions.id"), nullable=False, index=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("rotated_at", Timestamp, nullable=True),
)

customer_events = sa.Table(
    "customer_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

# The limiter's sliding windows when no Redis is configured: one row per key, holding the attempts
# counted in its window as a JSON list of [occurred_at, attempt_id], oldest first. One row per key is
# what makes check-and-count one statement on PostgreSQL: concurrent attempts on a key queue on its
# row lock and each sees the others' entries, so a burst can never slip past the limit.
# expires_at (the newest entry's time + the window) lets a sweep drop windows nobody uses any more.
login_windows = sa.Table(
    "login_windows",
    metadata,
    sa.Column("key", sa.String(320), primary_key=True),
    sa.Column("entries", sa.Text().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False, index=True),
)

# Restore-password keys: only the SHA-256 digest of the mailed key is stored. A key is usable while
# used_at and superseded_at are empty and expires_at lies ahead; a newer key supersedes older ones.
restore_password_keys = sa.Table(
    "restore_password_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("used_at", Timestamp, nullable=True),
    sa.Column("superseded_at", Timestamp, nullable=True),
)

# Registration (double opt-in) keys, digest only; single use.
registration_keys = sa.Table(
    "registration_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("used_at", Timestamp, nullable=True),
)

# The mail outbox: a row is written in the transaction of the change that causes the mail and
# delivered after commit by the delivery worker. A worker claims rows (claimed_by, claimed_until)
# with SELECT … FOR UPDATE SKIP LOCKED, so concurrent workers never send the same row. The bodies
# are erased once sent: they may carry a key.
mail_outbox = sa.Table(
    "mail_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # ``mail`` (recipient an e-mail address) or ``sms`` (recipient an E.164 number, no subject).
    sa.Column("channel", sa.String(8), nullable=False, server_default="mail"),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("message_id", sa.String(255), nullable=False, unique=True),
    sa.Column("recipient", sa.String(255), nullable=False),
    sa.Column("subject", sa.String(255), nullable=True),
    sa.Column("text_body", sa.Text, nullable=True),
    sa.Column("html_body", sa.Text, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", Timestamp, nullable=False),
    sa.Column("claimed_by", sa.String(64), nullable=True),
    sa.Column("claimed_until", Timestamp, nullable=True),
    sa.Column("sent_at", Timestamp, nullable=True),
    sa.Column("failed_at", Timestamp, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Index(
        "ix_mail_outbox_pending",
        "next_attempt_at",
        postgresql_where=sa.text("sent_at IS NULL AND failed_at IS NULL"),
        sqlite_where=sa.text("sent_at IS NULL AND failed_at IS NULL"),
    ),
)

# A customer's avatar, as re-encoded on upload (never the bytes sent): one row per customer.
customer_avatars = sa.Table(
    "customer_avatars",
    metadata,
    sa.Column(
        "customer_id", sa.Integer, sa.ForeignKey("customers.id"), primary_key=True, autoincrement=False
    ),
    sa.Column("content_type", sa.String(16), nullable=False),
    sa.Column("bytes", sa.LargeBinary, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

# Mobile and web push tokens. A token belongs to one customer at a time (its SHA-256 digest is
# unique: tokens run to 4096 characters, too long for a portable unique index of their own).
customer_push_tokens = sa.Table(
    "customer_push_tokens",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("token", sa.Text, nullable=False),
    sa.Column("token_digest", sa.String(64), nullable=False),
    sa.Column("platform", sa.String(16), nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.UniqueConstraint("token_digest", name="uq_customer_push_tokens_token_digest"),
    sa.Index("ix_customer_push_tokens_customer_id_created_at", "customer_id", "created_at"),
)
